//! Swarm bodies: `swarm.ServiceSpec` (`POST /services/create` and
//! `/update`), `swarm.SecretSpec` and `swarm.ConfigSpec`, field for field
//! as moby 20.10's `api/types/swarm` defines them, with the fields newer
//! API versions added (`Privileges.Seccomp`/`AppArmor`/`NoNewPrivileges`,
//! `ContainerSpec.OomScoreAdj`). A container's settings use the container
//! model's own types where swarm shares the Go type (`mount.Mount`,
//! `container.HealthConfig`, `units.Ulimit`), so that one set of rules
//! reads both.

use std::collections::BTreeMap;

use super::{model, Driver, Empty, GoBase64, HealthConfig, Mount, Ulimit};

model! {
    /// `swarm.Annotations`, embedded in every spec.
    pub struct Annotations {
        /// `Name`.
        name: String = "Name",
        /// `Labels`.
        labels: BTreeMap<String, String> = "Labels",
    }
}

model! {
    /// The body of `POST /services/create` and `/services/{id}/update`.
    pub struct ServiceSpec {
        /// `TaskTemplate`.
        task_template: TaskSpec = "TaskTemplate",
        /// `Mode`.
        mode: ServiceMode = "Mode",
        /// `UpdateConfig`.
        update_config: UpdateConfig = "UpdateConfig",
        /// `RollbackConfig`.
        rollback_config: UpdateConfig = "RollbackConfig",
        /// `Networks` (deprecated top-level place, API < 1.25).
        networks: Vec<NetworkAttachmentConfig> = "Networks",
        /// `EndpointSpec`.
        endpoint_spec: EndpointSpec = "EndpointSpec",
    }
    embed {
        /// `Name`, `Labels`.
        annotations: Annotations,
    }
}

model! {
    /// `swarm.TaskSpec`.
    pub struct TaskSpec {
        /// `ContainerSpec`.
        container_spec: ContainerSpec = "ContainerSpec",
        /// `PluginSpec` (a plugin runtime; free-form, always refused).
        plugin_spec: serde_json::Value = "PluginSpec",
        /// `NetworkAttachmentSpec` (swarm's own; refused).
        network_attachment_spec: NetworkAttachmentSpec = "NetworkAttachmentSpec",
        /// `Resources`.
        resources: ResourceRequirements = "Resources",
        /// `RestartPolicy`.
        restart_policy: ServiceRestartPolicy = "RestartPolicy",
        /// `Placement`.
        placement: Placement = "Placement",
        /// `Networks`.
        networks: Vec<NetworkAttachmentConfig> = "Networks",
        /// `LogDriver`.
        log_driver: Driver = "LogDriver",
        /// `ForceUpdate` (a counter; Go `uint64`, zero kept as sent).
        force_update: u64 = "ForceUpdate" as explicit,
        /// `Runtime`: `container`, `plugin`, `attachment`.
        runtime: String = "Runtime",
    }
}

model! {
    /// `swarm.NetworkAttachmentSpec`.
    pub struct NetworkAttachmentSpec {
        /// `ContainerID`.
        container_id: String = "ContainerID",
    }
}

model! {
    /// `swarm.ContainerSpec`.
    pub struct ContainerSpec {
        /// `Image`.
        image: String = "Image",
        /// `Labels` (the task containers' labels).
        labels: BTreeMap<String, String> = "Labels",
        /// `Command`.
        command: Vec<String> = "Command",
        /// `Args`.
        args: Vec<String> = "Args",
        /// `Hostname`.
        hostname: String = "Hostname",
        /// `Env`.
        env: Vec<String> = "Env",
        /// `Dir`.
        dir: String = "Dir",
        /// `User`.
        user: String = "User",
        /// `Groups`.
        groups: Vec<String> = "Groups",
        /// `Privileges`.
        privileges: Privileges = "Privileges",
        /// `Init` (Go `*bool`).
        init: bool = "Init" as pointer,
        /// `StopSignal`.
        stop_signal: String = "StopSignal",
        /// `TTY`.
        tty: bool = "TTY",
        /// `OpenStdin`.
        open_stdin: bool = "OpenStdin",
        /// `ReadOnly`.
        read_only: bool = "ReadOnly",
        /// `Mounts` (`mount.Mount`, as a container's).
        mounts: Vec<Mount> = "Mounts",
        /// `StopGracePeriod` (ns, Go `*time.Duration`).
        stop_grace_period: i64 = "StopGracePeriod" as pointer,
        /// `Healthcheck` (`container.HealthConfig`).
        healthcheck: HealthConfig = "Healthcheck",
        /// `Hosts` (`IP host...` lines).
        hosts: Vec<String> = "Hosts",
        /// `DNSConfig`.
        dns_config: DnsConfig = "DNSConfig",
        /// `Secrets`.
        secrets: Vec<SecretReference> = "Secrets",
        /// `Configs`.
        configs: Vec<SwarmConfigReference> = "Configs",
        /// `Isolation`.
        isolation: String = "Isolation",
        /// `Sysctls`.
        sysctls: BTreeMap<String, String> = "Sysctls",
        /// `CapabilityAdd`.
        capability_add: Vec<String> = "CapabilityAdd",
        /// `CapabilityDrop`.
        capability_drop: Vec<String> = "CapabilityDrop",
        /// `Ulimits`.
        ulimits: Vec<Ulimit> = "Ulimits",
        /// `OomScoreAdj` (API 1.46).
        oom_score_adj: i64 = "OomScoreAdj",
    }
}

model! {
    /// `swarm.Privileges`.
    pub struct Privileges {
        /// `CredentialSpec` (Windows).
        credential_spec: CredentialSpec = "CredentialSpec",
        /// `SELinuxContext`.
        se_linux_context: SeLinuxContext = "SELinuxContext",
        /// `Seccomp` (API 1.44).
        seccomp: SeccompOpts = "Seccomp",
        /// `AppArmor` (API 1.44).
        app_armor: AppArmorOpts = "AppArmor",
        /// `NoNewPrivileges` (API 1.44).
        no_new_privileges: bool = "NoNewPrivileges",
    }
}

model! {
    /// `swarm.CredentialSpec`.
    pub struct CredentialSpec {
        /// `Config`.
        config: String = "Config",
        /// `File`.
        file: String = "File",
        /// `Registry`.
        registry: String = "Registry",
    }
}

model! {
    /// `swarm.SELinuxContext`.
    pub struct SeLinuxContext {
        /// `Disable`.
        disable: bool = "Disable",
        /// `User`.
        user: String = "User",
        /// `Role`.
        role: String = "Role",
        /// `Type`.
        type_: String = "Type",
        /// `Level`.
        level: String = "Level",
    }
}

model! {
    /// `swarm.SeccompOpts`.
    pub struct SeccompOpts {
        /// `Mode`: `default`, `unconfined`, `custom`.
        mode: String = "Mode",
        /// `Profile` (JSON, base64 in the body).
        profile: String = "Profile",
    }
}

model! {
    /// `swarm.AppArmorOpts`.
    pub struct AppArmorOpts {
        /// `Mode`: `default`, `disabled`.
        mode: String = "Mode",
    }
}

model! {
    /// `swarm.DNSConfig`.
    pub struct DnsConfig {
        /// `Nameservers`.
        nameservers: Vec<String> = "Nameservers",
        /// `Search`.
        search: Vec<String> = "Search",
        /// `Options`.
        options: Vec<String> = "Options",
    }
}

model! {
    /// `swarm.SecretReference`.
    pub struct SecretReference {
        /// `File`.
        file: FileTarget = "File",
        /// `SecretID`.
        secret_id: String = "SecretID",
        /// `SecretName`.
        secret_name: String = "SecretName",
    }
}

model! {
    /// `swarm.ConfigReference`.
    pub struct SwarmConfigReference {
        /// `File`.
        file: FileTarget = "File",
        /// `Runtime` (empty struct: a credential spec's config).
        runtime: Empty = "Runtime",
        /// `ConfigID`.
        config_id: String = "ConfigID",
        /// `ConfigName`.
        config_name: String = "ConfigName",
    }
}

model! {
    /// `SecretReferenceFileTarget` / `ConfigReferenceFileTarget`.
    pub struct FileTarget {
        /// `Name`.
        name: String = "Name",
        /// `UID`.
        uid: String = "UID",
        /// `GID`.
        gid: String = "GID",
        /// `Mode` (`os.FileMode`).
        mode: u32 = "Mode",
    }
}

model! {
    /// `swarm.ResourceRequirements`.
    pub struct ResourceRequirements {
        /// `Limits`.
        limits: Limit = "Limits",
        /// `Reservations`.
        reservations: SwarmResources = "Reservations",
    }
}

model! {
    /// `swarm.Limit`.
    pub struct Limit {
        /// `NanoCPUs`.
        nano_cpus: i64 = "NanoCPUs",
        /// `MemoryBytes`.
        memory_bytes: i64 = "MemoryBytes",
        /// `Pids` (API 1.41).
        pids: i64 = "Pids",
    }
}

model! {
    /// `swarm.Resources` (reservations).
    pub struct SwarmResources {
        /// `NanoCPUs`.
        nano_cpus: i64 = "NanoCPUs",
        /// `MemoryBytes`.
        memory_bytes: i64 = "MemoryBytes",
        /// `GenericResources` (free-form; refused).
        generic_resources: serde_json::Value = "GenericResources",
    }
}

model! {
    /// `swarm.RestartPolicy`.
    pub struct ServiceRestartPolicy {
        /// `Condition`: `none`, `on-failure`, `any`.
        condition: String = "Condition",
        /// `Delay` (ns).
        delay: i64 = "Delay" as pointer,
        /// `MaxAttempts`.
        max_attempts: u64 = "MaxAttempts" as pointer,
        /// `Window` (ns).
        window: i64 = "Window" as pointer,
    }
}

model! {
    /// `swarm.Placement`.
    pub struct Placement {
        /// `Constraints` (`node.labels.pool==tenants`).
        constraints: Vec<String> = "Constraints",
        /// `Preferences`.
        preferences: Vec<PlacementPreference> = "Preferences",
        /// `MaxReplicas` (per node).
        max_replicas: u64 = "MaxReplicas",
        /// `Platforms`.
        platforms: Vec<Platform> = "Platforms",
    }
}

model! {
    /// `swarm.PlacementPreference`.
    pub struct PlacementPreference {
        /// `Spread`.
        spread: SpreadOver = "Spread",
    }
}

model! {
    /// `swarm.SpreadOver`.
    pub struct SpreadOver {
        /// `SpreadDescriptor` (`node.labels.rack`).
        spread_descriptor: String = "SpreadDescriptor",
    }
}

model! {
    /// `swarm.Platform`.
    pub struct Platform {
        /// `Architecture`.
        architecture: String = "Architecture",
        /// `OS`.
        os: String = "OS",
    }
}

model! {
    /// `swarm.NetworkAttachmentConfig`.
    pub struct NetworkAttachmentConfig {
        /// `Target`: a network name or id.
        target: String = "Target",
        /// `Aliases`.
        aliases: Vec<String> = "Aliases",
        /// `DriverOpts`.
        driver_opts: BTreeMap<String, String> = "DriverOpts",
    }
}

model! {
    /// `swarm.ServiceMode`.
    pub struct ServiceMode {
        /// `Replicated`.
        replicated: ReplicatedService = "Replicated",
        /// `Global` (empty struct).
        global: Empty = "Global",
        /// `ReplicatedJob`.
        replicated_job: ReplicatedJob = "ReplicatedJob",
        /// `GlobalJob` (empty struct).
        global_job: Empty = "GlobalJob",
    }
}

model! {
    /// `swarm.ReplicatedService`.
    pub struct ReplicatedService {
        /// `Replicas` (Go `*uint64`).
        replicas: u64 = "Replicas" as pointer,
    }
}

model! {
    /// `swarm.ReplicatedJob`.
    pub struct ReplicatedJob {
        /// `MaxConcurrent`.
        max_concurrent: u64 = "MaxConcurrent" as pointer,
        /// `TotalCompletions`.
        total_completions: u64 = "TotalCompletions" as pointer,
    }
}

model! {
    /// `swarm.UpdateConfig` (update and rollback).
    pub struct UpdateConfig {
        /// `Parallelism`.
        parallelism: u64 = "Parallelism" as explicit,
        /// `Delay` (ns).
        delay: i64 = "Delay",
        /// `FailureAction`: `pause`, `continue`, `rollback`.
        failure_action: String = "FailureAction",
        /// `Monitor` (ns).
        monitor: i64 = "Monitor",
        /// `MaxFailureRatio` (Go `float32`).
        max_failure_ratio: f64 = "MaxFailureRatio" as explicit,
        /// `Order`: `stop-first`, `start-first`.
        order: String = "Order",
    }
}

model! {
    /// `swarm.EndpointSpec`.
    pub struct EndpointSpec {
        /// `Mode`: `vip`, `dnsrr`.
        mode: String = "Mode",
        /// `Ports`.
        ports: Vec<PortConfig> = "Ports",
    }
}

model! {
    /// `swarm.PortConfig`.
    pub struct PortConfig {
        /// `Name`.
        name: String = "Name",
        /// `Protocol`: `tcp`, `udp`, `sctp`.
        protocol: String = "Protocol",
        /// `TargetPort`.
        target_port: u32 = "TargetPort",
        /// `PublishedPort` (0: swarm picks one).
        published_port: u32 = "PublishedPort",
        /// `PublishMode`: `ingress` (the routing mesh), `host`.
        publish_mode: String = "PublishMode",
    }
}

model! {
    /// The body of `POST /secrets/create` and `/secrets/{id}/update`.
    pub struct SecretSpec {
        /// `Data` (base64).
        data: String = "Data" with GoBase64,
        /// `Driver`: an external secret store's plugin (refused).
        driver: Driver = "Driver",
        /// `Templating`.
        templating: Driver = "Templating",
    }
    embed {
        /// `Name`, `Labels`.
        annotations: Annotations,
    }
}

model! {
    /// The body of `POST /configs/create` and `/configs/{id}/update`.
    pub struct ConfigSpec {
        /// `Data` (base64).
        data: String = "Data" with GoBase64,
        /// `Templating`.
        templating: Driver = "Templating",
    }
    embed {
        /// `Name`, `Labels`.
        annotations: Annotations,
    }
}
