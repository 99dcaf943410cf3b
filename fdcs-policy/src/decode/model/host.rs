//! `HostConfig`, its embedded `Resources`, and `POST /containers/{id}/update`.

use std::collections::BTreeMap;

use super::{model, Mount, StrSlice};

model! {
    /// `HostConfig` of a create body. Go embeds `Resources`: its fields sit
    /// inline in JSON and in [`HostConfig::resources`] here.
    pub struct HostConfig {
        /// `Binds`: `src:dst[:opts]`; a `src` starting with `/` is a host path.
        binds: Vec<String> = "Binds",
        /// `ContainerIDFile` (client-side; the daemon ignores it).
        container_id_file: String = "ContainerIDFile",
        /// `LogConfig`.
        log_config: LogConfig = "LogConfig",
        /// `NetworkMode`: `bridge`, `host`, `none`, `container:<ref>`, a network.
        network_mode: String = "NetworkMode",
        /// `PortBindings`: `"80/tcp"` → bindings; `null` list allowed.
        port_bindings: BTreeMap<String, Option<Vec<PortBinding>>> = "PortBindings",
        /// `RestartPolicy`.
        restart_policy: RestartPolicy = "RestartPolicy",
        /// `AutoRemove`.
        auto_remove: bool = "AutoRemove",
        /// `VolumeDriver`.
        volume_driver: String = "VolumeDriver",
        /// `VolumesFrom`: `container[:ro|rw]`.
        volumes_from: Vec<String> = "VolumesFrom",
        /// `ConsoleSize`: `[height, width]`.
        console_size: [u64; 2] = "ConsoleSize",
        /// `Annotations` (API 1.43).
        annotations: BTreeMap<String, String> = "Annotations",
        /// `CapAdd` (string or list).
        cap_add: Vec<String> = "CapAdd" with StrSlice,
        /// `CapDrop` (string or list).
        cap_drop: Vec<String> = "CapDrop" with StrSlice,
        /// `Capabilities` (API 1.40 only; 1.41 daemons ignore it).
        capabilities: Vec<String> = "Capabilities",
        /// `CgroupnsMode`: `private` or `host`.
        cgroupns_mode: String = "CgroupnsMode",
        /// `Dns`.
        dns: Vec<String> = "Dns",
        /// `DnsOptions`.
        dns_options: Vec<String> = "DnsOptions",
        /// `DnsSearch`.
        dns_search: Vec<String> = "DnsSearch",
        /// `ExtraHosts`: `host:ip`.
        extra_hosts: Vec<String> = "ExtraHosts",
        /// `GroupAdd`.
        group_add: Vec<String> = "GroupAdd",
        /// `IpcMode`: `host`, `container:<ref>`, `shareable`, ...
        ipc_mode: String = "IpcMode",
        /// `Cgroup`: `container:<ref>`.
        cgroup: String = "Cgroup",
        /// `Links`: `container:alias`.
        links: Vec<String> = "Links",
        /// `OomScoreAdj` (Go `int`).
        oom_score_adj: i64 = "OomScoreAdj",
        /// `PidMode`: `host`, `container:<ref>`.
        pid_mode: String = "PidMode",
        /// `Privileged` (`false` kept: forwarded as judged).
        privileged: bool = "Privileged" as explicit,
        /// `PublishAllPorts` (`-P`).
        publish_all_ports: bool = "PublishAllPorts",
        /// `ReadonlyRootfs`.
        readonly_rootfs: bool = "ReadonlyRootfs",
        /// `SecurityOpt`.
        security_opt: Vec<String> = "SecurityOpt",
        /// `StorageOpt`.
        storage_opt: BTreeMap<String, String> = "StorageOpt",
        /// `Tmpfs`: mount point → options.
        tmpfs: BTreeMap<String, String> = "Tmpfs",
        /// `UTSMode`.
        uts_mode: String = "UTSMode",
        /// `UsernsMode`.
        userns_mode: String = "UsernsMode",
        /// `ShmSize` (bytes).
        shm_size: i64 = "ShmSize",
        /// `Sysctls`.
        sysctls: BTreeMap<String, String> = "Sysctls",
        /// `Runtime`.
        runtime: String = "Runtime",
        /// `Isolation` (Windows).
        isolation: String = "Isolation",
        /// `Mounts`.
        mounts: Vec<Mount> = "Mounts",
        /// `MaskedPaths`.
        masked_paths: Vec<String> = "MaskedPaths",
        /// `ReadonlyPaths`.
        readonly_paths: Vec<String> = "ReadonlyPaths",
        /// `Init` (Go `*bool`: absent means the daemon's default).
        init: bool = "Init" as pointer,
    }
    embed {
        /// Go's embedded `Resources` (inline in JSON).
        resources: Resources,
    }
}

model! {
    /// Go's `container.Resources`, embedded in `HostConfig` and in the
    /// update body.
    pub struct Resources {
        /// `CpuShares`.
        cpu_shares: i64 = "CpuShares",
        /// `Memory` (bytes).
        memory: i64 = "Memory",
        /// `NanoCpus` (10⁻⁹ CPUs).
        nano_cpus: i64 = "NanoCpus",
        /// `CgroupParent`.
        cgroup_parent: String = "CgroupParent",
        /// `BlkioWeight`.
        blkio_weight: u16 = "BlkioWeight",
        /// `BlkioWeightDevice`.
        blkio_weight_device: Vec<WeightDevice> = "BlkioWeightDevice",
        /// `BlkioDeviceReadBps`.
        blkio_device_read_bps: Vec<ThrottleDevice> = "BlkioDeviceReadBps",
        /// `BlkioDeviceWriteBps`.
        blkio_device_write_bps: Vec<ThrottleDevice> = "BlkioDeviceWriteBps",
        /// `BlkioDeviceReadIOps`.
        blkio_device_read_iops: Vec<ThrottleDevice> = "BlkioDeviceReadIOps",
        /// `BlkioDeviceWriteIOps`.
        blkio_device_write_iops: Vec<ThrottleDevice> = "BlkioDeviceWriteIOps",
        /// `CpuPeriod`.
        cpu_period: i64 = "CpuPeriod",
        /// `CpuQuota`.
        cpu_quota: i64 = "CpuQuota",
        /// `CpuRealtimePeriod`.
        cpu_realtime_period: i64 = "CpuRealtimePeriod",
        /// `CpuRealtimeRuntime`.
        cpu_realtime_runtime: i64 = "CpuRealtimeRuntime",
        /// `CpusetCpus`.
        cpuset_cpus: String = "CpusetCpus",
        /// `CpusetMems`.
        cpuset_mems: String = "CpusetMems",
        /// `Devices`.
        devices: Vec<DeviceMapping> = "Devices",
        /// `DeviceCgroupRules`.
        device_cgroup_rules: Vec<String> = "DeviceCgroupRules",
        /// `DeviceRequests` (GPUs).
        device_requests: Vec<DeviceRequest> = "DeviceRequests",
        /// `KernelMemory` (API < 1.42).
        kernel_memory: i64 = "KernelMemory",
        /// `KernelMemoryTCP` (API < 1.42).
        kernel_memory_tcp: i64 = "KernelMemoryTCP",
        /// `MemoryReservation`.
        memory_reservation: i64 = "MemoryReservation",
        /// `MemorySwap`: `-1` unlimited.
        memory_swap: i64 = "MemorySwap",
        /// `MemorySwappiness` (Go `*int64`: `-1` or absent is the default).
        memory_swappiness: i64 = "MemorySwappiness" as pointer,
        /// `OomKillDisable` (Go `*bool`).
        oom_kill_disable: bool = "OomKillDisable" as pointer,
        /// `PidsLimit` (Go `*int64`): `0` or `-1` mean unlimited, absent
        /// the default (at update: unchanged).
        pids_limit: i64 = "PidsLimit" as pointer,
        /// `Ulimits`.
        ulimits: Vec<Ulimit> = "Ulimits",
        /// `CpuCount` (Windows).
        cpu_count: i64 = "CpuCount",
        /// `CpuPercent` (Windows).
        cpu_percent: i64 = "CpuPercent",
        /// `IOMaximumIOps` (Windows).
        io_maximum_iops: u64 = "IOMaximumIOps",
        /// `IOMaximumBandwidth` (Windows).
        io_maximum_bandwidth: u64 = "IOMaximumBandwidth",
    }
}

model! {
    /// The body of `POST /containers/{id}/update` (`container.UpdateConfig`).
    pub struct ContainerUpdate {
        /// `RestartPolicy`.
        restart_policy: RestartPolicy = "RestartPolicy",
    }
    embed {
        /// Go's embedded `Resources` (inline in JSON).
        resources: Resources,
    }
}

model! {
    /// `LogConfig`.
    pub struct LogConfig {
        /// `Type`: the log driver.
        type_: String = "Type",
        /// `Config`: driver options.
        config: BTreeMap<String, String> = "Config",
    }
}

model! {
    /// One host binding of a container port.
    pub struct PortBinding {
        /// `HostIp`.
        host_ip: String = "HostIp",
        /// `HostPort`: empty or absent means daemon-assigned.
        host_port: String = "HostPort",
    }
}

model! {
    /// `RestartPolicy`.
    pub struct RestartPolicy {
        /// `Name`: `no`, `always`, `on-failure`, `unless-stopped`.
        name: String = "Name",
        /// `MaximumRetryCount`.
        maximum_retry_count: i64 = "MaximumRetryCount",
    }
}

model! {
    /// A host device mapped into the container.
    pub struct DeviceMapping {
        /// `PathOnHost`.
        path_on_host: String = "PathOnHost",
        /// `PathInContainer`.
        path_in_container: String = "PathInContainer",
        /// `CgroupPermissions`.
        cgroup_permissions: String = "CgroupPermissions",
    }
}

model! {
    /// A device request (`--gpus`).
    pub struct DeviceRequest {
        /// `Driver`.
        driver: String = "Driver",
        /// `Count`: `-1` all.
        count: i64 = "Count",
        /// `DeviceIDs`.
        device_ids: Vec<String> = "DeviceIDs",
        /// `Capabilities`: OR of AND lists.
        capabilities: Vec<Vec<String>> = "Capabilities",
        /// `Options`.
        options: BTreeMap<String, String> = "Options",
    }
}

model! {
    /// A ulimit (`go-units.Ulimit`).
    pub struct Ulimit {
        /// `Name`.
        name: String = "Name",
        /// `Hard`.
        hard: i64 = "Hard",
        /// `Soft`.
        soft: i64 = "Soft",
    }
}

model! {
    /// `blkiodev.WeightDevice`.
    pub struct WeightDevice {
        /// `Path`.
        path: String = "Path",
        /// `Weight`.
        weight: u16 = "Weight",
    }
}

model! {
    /// `blkiodev.ThrottleDevice`.
    pub struct ThrottleDevice {
        /// `Path`.
        path: String = "Path",
        /// `Rate`.
        rate: u64 = "Rate",
    }
}
