//! Network bodies: create, connect, disconnect, and endpoint settings.

use std::collections::BTreeMap;

use super::model;

model! {
    /// `NetworkingConfig` of a create body.
    pub struct NetworkingConfig {
        /// `EndpointsConfig`: network name → settings.
        endpoints_config: BTreeMap<String, Option<EndpointSettings>> = "EndpointsConfig",
    }
}

model! {
    /// `network.EndpointSettings`.
    pub struct EndpointSettings {
        /// `IPAMConfig`.
        ipam_config: EndpointIpamConfig = "IPAMConfig",
        /// `Links`.
        links: Vec<String> = "Links",
        /// `Aliases`.
        aliases: Vec<String> = "Aliases",
        /// `DriverOpts`.
        driver_opts: BTreeMap<String, String> = "DriverOpts",
        /// `GwPriority` (API 1.48, Go `int`).
        gw_priority: i64 = "GwPriority",
        /// `NetworkID`.
        network_id: String = "NetworkID",
        /// `EndpointID`.
        endpoint_id: String = "EndpointID",
        /// `Gateway`.
        gateway: String = "Gateway",
        /// `IPAddress`.
        ip_address: String = "IPAddress",
        /// `IPPrefixLen`.
        ip_prefix_len: i64 = "IPPrefixLen",
        /// `IPv6Gateway`.
        ipv6_gateway: String = "IPv6Gateway",
        /// `GlobalIPv6Address`.
        global_ipv6_address: String = "GlobalIPv6Address",
        /// `GlobalIPv6PrefixLen`.
        global_ipv6_prefix_len: i64 = "GlobalIPv6PrefixLen",
        /// `MacAddress`.
        mac_address: String = "MacAddress",
        /// `DNSNames` (API 1.44).
        dns_names: Vec<String> = "DNSNames",
    }
}

model! {
    /// `EndpointIPAMConfig`.
    pub struct EndpointIpamConfig {
        /// `IPv4Address`.
        ipv4_address: String = "IPv4Address",
        /// `IPv6Address`.
        ipv6_address: String = "IPv6Address",
        /// `LinkLocalIPs`.
        link_local_ips: Vec<String> = "LinkLocalIPs",
    }
}

model! {
    /// The body of `POST /networks/create`.
    pub struct NetworkCreate {
        /// `Name`.
        name: String = "Name",
        /// `CheckDuplicate` (deprecated; Go `*bool` since API 1.44).
        check_duplicate: bool = "CheckDuplicate" as pointer,
        /// `Driver`.
        driver: String = "Driver",
        /// `Scope`.
        scope: String = "Scope",
        /// `Internal`.
        internal: bool = "Internal",
        /// `Attachable`.
        attachable: bool = "Attachable",
        /// `Ingress`.
        ingress: bool = "Ingress",
        /// `ConfigOnly`.
        config_only: bool = "ConfigOnly",
        /// `ConfigFrom`.
        config_from: ConfigReference = "ConfigFrom",
        /// `IPAM`.
        ipam: Ipam = "IPAM",
        /// `EnableIPv4` (API 1.47, Go `*bool`).
        enable_ipv4: bool = "EnableIPv4" as pointer,
        /// `EnableIPv6` (Go `*bool` since API 1.47).
        enable_ipv6: bool = "EnableIPv6" as pointer,
        /// `Options`: driver options (`com.docker.network.bridge.name`...).
        options: BTreeMap<String, String> = "Options",
        /// `Labels`.
        labels: BTreeMap<String, String> = "Labels",
    }
}

model! {
    /// `ConfigReference`.
    pub struct ConfigReference {
        /// `Network`.
        network: String = "Network",
    }
}

model! {
    /// `IPAM`.
    pub struct Ipam {
        /// `Driver`.
        driver: String = "Driver",
        /// `Options`.
        options: BTreeMap<String, String> = "Options",
        /// `Config`.
        config: Vec<IpamConfig> = "Config",
    }
}

model! {
    /// `IPAMConfig` (one pool).
    pub struct IpamConfig {
        /// `Subnet`.
        subnet: String = "Subnet",
        /// `IPRange`.
        ip_range: String = "IPRange",
        /// `Gateway`.
        gateway: String = "Gateway",
        /// `AuxiliaryAddresses`.
        auxiliary_addresses: BTreeMap<String, String> = "AuxiliaryAddresses",
    }
}

model! {
    /// The body of `POST /networks/{id}/connect`.
    pub struct NetworkConnect {
        /// `Container`: a reference to a container.
        container: String = "Container",
        /// `EndpointConfig`.
        endpoint_config: EndpointSettings = "EndpointConfig",
    }
}

model! {
    /// The body of `POST /networks/{id}/disconnect`.
    pub struct NetworkDisconnect {
        /// `Container`.
        container: String = "Container",
        /// `Force`.
        force: bool = "Force",
    }
}
