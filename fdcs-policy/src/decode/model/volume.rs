//! `POST /volumes/create`.

use std::collections::BTreeMap;

use super::model;

model! {
    /// The body of `POST /volumes/create`.
    pub struct VolumeCreate {
        /// `Name`.
        name: String = "Name",
        /// `Driver`.
        driver: String = "Driver",
        /// `DriverOpts`: `local` with `o=bind` / `device=/...` is a host mount.
        driver_opts: BTreeMap<String, String> = "DriverOpts",
        /// `Labels`.
        labels: BTreeMap<String, String> = "Labels",
        /// `ClusterVolumeSpec` (swarm CSI volumes), kept free-form; a
        /// repeated object here is refused as ambiguous.
        cluster_volume_spec: serde_json::Value = "ClusterVolumeSpec",
    }
}
