//! `mount.Mount` (`HostConfig.Mounts`).

use std::collections::BTreeMap;

use super::{model, Empty};

model! {
    /// One entry of `HostConfig.Mounts`.
    pub struct Mount {
        /// `Type`: `bind`, `volume`, `tmpfs`, `npipe`, `cluster`, `image`.
        type_: String = "Type",
        /// `Source`: host path for `bind`, volume name for `volume`.
        source: String = "Source",
        /// `Target`.
        target: String = "Target",
        /// `ReadOnly`.
        read_only: bool = "ReadOnly",
        /// `Consistency`.
        consistency: String = "Consistency",
        /// `BindOptions`.
        bind_options: BindOptions = "BindOptions",
        /// `VolumeOptions`.
        volume_options: VolumeOptions = "VolumeOptions",
        /// `ImageOptions` (API 1.48).
        image_options: ImageOptions = "ImageOptions",
        /// `TmpfsOptions`.
        tmpfs_options: TmpfsOptions = "TmpfsOptions",
        /// `ClusterOptions` (empty struct).
        cluster_options: ClusterOptions = "ClusterOptions",
    }
}

model! {
    /// `BindOptions`.
    pub struct BindOptions {
        /// `Propagation`.
        propagation: String = "Propagation",
        /// `NonRecursive`.
        non_recursive: bool = "NonRecursive",
        /// `CreateMountpoint`.
        create_mountpoint: bool = "CreateMountpoint",
        /// `ReadOnlyNonRecursive`.
        read_only_non_recursive: bool = "ReadOnlyNonRecursive",
        /// `ReadOnlyForceRecursive`.
        read_only_force_recursive: bool = "ReadOnlyForceRecursive",
    }
}

model! {
    /// `VolumeOptions`.
    pub struct VolumeOptions {
        /// `NoCopy`.
        no_copy: bool = "NoCopy",
        /// `Labels`.
        labels: BTreeMap<String, String> = "Labels",
        /// `Subpath` (API 1.45).
        subpath: String = "Subpath",
        /// `DriverConfig`: `local` with `o=bind` is a host mount.
        driver_config: Driver = "DriverConfig",
    }
}

model! {
    /// A volume driver and its options.
    pub struct Driver {
        /// `Name` (`""` kept: the mounts rule refuses an empty driver name).
        name: String = "Name" as explicit,
        /// `Options`.
        options: BTreeMap<String, String> = "Options",
    }
}

model! {
    /// `ImageOptions`.
    pub struct ImageOptions {
        /// `Subpath`.
        subpath: String = "Subpath",
    }
}

model! {
    /// `TmpfsOptions`.
    pub struct TmpfsOptions {
        /// `SizeBytes`.
        size_bytes: i64 = "SizeBytes",
        /// `Mode` (`os.FileMode`, uint32).
        mode: u32 = "Mode",
        /// `Options` (API 1.46): `[["exec"]]`.
        options: Vec<Vec<String>> = "Options",
    }
}

/// `ClusterOptions`: an empty struct in Go.
pub type ClusterOptions = Empty;
