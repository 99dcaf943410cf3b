//! Every Docker Engine API endpoint the router knows.

/// One Docker Engine API endpoint (API v1.24 up to the current version).
///
/// Variants are named after moby's swagger `operationId`. Path parameters are
/// carried in [`super::RouteMatch::params`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs, reason = "the names are the swagger operation ids")]
pub enum Endpoint {
    // containers
    ContainerList,
    ContainerCreate,
    ContainerInspect,
    ContainerTop,
    ContainerLogs,
    ContainerChanges,
    ContainerExport,
    ContainerStats,
    ContainerResize,
    ContainerStart,
    ContainerStop,
    ContainerRestart,
    ContainerKill,
    ContainerUpdate,
    ContainerRename,
    ContainerPause,
    ContainerUnpause,
    ContainerAttach,
    ContainerAttachWebsocket,
    ContainerWait,
    ContainerDelete,
    ContainerArchiveInfo,
    ContainerArchive,
    PutContainerArchive,
    ContainerPrune,
    // exec
    ContainerExec,
    ExecStart,
    ExecResize,
    ExecInspect,
    // images
    ImageList,
    ImageBuild,
    BuildPrune,
    ImageCreate,
    ImageInspect,
    ImageHistory,
    ImagePush,
    ImageTag,
    ImageDelete,
    ImageSearch,
    ImagePrune,
    ImageCommit,
    ImageGet,
    ImageGetAll,
    ImageLoad,
    DistributionInspect,
    /// `GET /images/{name}/attestations` (API v1.55).
    ImageAttestations,
    // networks
    NetworkList,
    NetworkInspect,
    NetworkDelete,
    NetworkCreate,
    NetworkConnect,
    NetworkDisconnect,
    NetworkPrune,
    // volumes
    VolumeList,
    VolumeCreate,
    VolumeInspect,
    VolumeUpdate,
    VolumeDelete,
    VolumePrune,
    // system
    SystemAuth,
    SystemInfo,
    SystemVersion,
    SystemPing,
    SystemPingHead,
    SystemEvents,
    SystemDataUsage,
    Session,
    // swarm: what a tenant may use of a cluster (DESIGN.md "Swarm")
    SwarmInspect,
    ServiceList,
    ServiceCreate,
    ServiceInspect,
    ServiceDelete,
    ServiceUpdate,
    ServiceLogs,
    TaskList,
    TaskInspect,
    TaskLogs,
    SecretList,
    SecretCreate,
    SecretInspect,
    SecretDelete,
    SecretUpdate,
    ConfigList,
    ConfigCreate,
    ConfigInspect,
    ConfigDelete,
    ConfigUpdate,
    NodeList,
    NodeInspect,
    /// Swarm membership and settings (init, join, leave, update, unlock),
    /// node changes, plugins, and other engine administration; judged by
    /// group.
    Admin(Group),
}

/// Endpoint families that are judged as a whole: administration, denied by
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(
    missing_docs,
    reason = "each variant names the family of paths it stands for"
)]
pub enum Group {
    Swarm,
    Node,
    Plugin,
    Checkpoint,
    Grpc,
    Other,
}

impl Endpoint {
    /// Whether the endpoint only reads: it changes nothing on the engine and
    /// runs nothing in a container (what Keystone's `reader` role may do).
    /// Lists, inspects, logs, stats, events, archives read out of a
    /// container, exports and `wait`. Attach and exec are writes: they put
    /// input into a running process. A registry search or login, sessions,
    /// gRPC and administration are writes too (the daemon acts for the caller).
    pub fn is_read(self) -> bool {
        use Endpoint as E;
        matches!(
            self,
            E::ContainerList
                | E::ContainerInspect
                | E::ContainerTop
                | E::ContainerLogs
                | E::ContainerChanges
                | E::ContainerExport
                | E::ContainerStats
                | E::ContainerWait
                | E::ContainerArchiveInfo
                | E::ContainerArchive
                | E::ExecInspect
                | E::ImageList
                | E::ImageInspect
                | E::ImageHistory
                | E::ImageGet
                | E::ImageGetAll
                | E::DistributionInspect
                | E::ImageAttestations
                | E::NetworkList
                | E::NetworkInspect
                | E::VolumeList
                | E::VolumeInspect
                | E::SystemInfo
                | E::SystemVersion
                | E::SystemPing
                | E::SystemPingHead
                | E::SystemEvents
                | E::SystemDataUsage
                | E::SwarmInspect
                | E::ServiceList
                | E::ServiceInspect
                | E::ServiceLogs
                | E::TaskList
                | E::TaskInspect
                | E::TaskLogs
                | E::SecretList
                | E::SecretInspect
                | E::ConfigList
                | E::ConfigInspect
                | E::NodeList
                | E::NodeInspect
        )
    }

    /// The swagger operation id (the group name for administration), used
    /// in CEL `match.endpoints`, messages and audit lines. Static, because
    /// it is read on every request.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::ContainerList => "ContainerList",
            Endpoint::ContainerCreate => "ContainerCreate",
            Endpoint::ContainerInspect => "ContainerInspect",
            Endpoint::ContainerTop => "ContainerTop",
            Endpoint::ContainerLogs => "ContainerLogs",
            Endpoint::ContainerChanges => "ContainerChanges",
            Endpoint::ContainerExport => "ContainerExport",
            Endpoint::ContainerStats => "ContainerStats",
            Endpoint::ContainerResize => "ContainerResize",
            Endpoint::ContainerStart => "ContainerStart",
            Endpoint::ContainerStop => "ContainerStop",
            Endpoint::ContainerRestart => "ContainerRestart",
            Endpoint::ContainerKill => "ContainerKill",
            Endpoint::ContainerUpdate => "ContainerUpdate",
            Endpoint::ContainerRename => "ContainerRename",
            Endpoint::ContainerPause => "ContainerPause",
            Endpoint::ContainerUnpause => "ContainerUnpause",
            Endpoint::ContainerAttach => "ContainerAttach",
            Endpoint::ContainerAttachWebsocket => "ContainerAttachWebsocket",
            Endpoint::ContainerWait => "ContainerWait",
            Endpoint::ContainerDelete => "ContainerDelete",
            Endpoint::ContainerArchiveInfo => "ContainerArchiveInfo",
            Endpoint::ContainerArchive => "ContainerArchive",
            Endpoint::PutContainerArchive => "PutContainerArchive",
            Endpoint::ContainerPrune => "ContainerPrune",
            Endpoint::ContainerExec => "ContainerExec",
            Endpoint::ExecStart => "ExecStart",
            Endpoint::ExecResize => "ExecResize",
            Endpoint::ExecInspect => "ExecInspect",
            Endpoint::ImageList => "ImageList",
            Endpoint::ImageBuild => "ImageBuild",
            Endpoint::BuildPrune => "BuildPrune",
            Endpoint::ImageCreate => "ImageCreate",
            Endpoint::ImageInspect => "ImageInspect",
            Endpoint::ImageHistory => "ImageHistory",
            Endpoint::ImagePush => "ImagePush",
            Endpoint::ImageTag => "ImageTag",
            Endpoint::ImageDelete => "ImageDelete",
            Endpoint::ImageSearch => "ImageSearch",
            Endpoint::ImagePrune => "ImagePrune",
            Endpoint::ImageCommit => "ImageCommit",
            Endpoint::ImageGet => "ImageGet",
            Endpoint::ImageGetAll => "ImageGetAll",
            Endpoint::ImageLoad => "ImageLoad",
            Endpoint::DistributionInspect => "DistributionInspect",
            Endpoint::ImageAttestations => "ImageAttestations",
            Endpoint::NetworkList => "NetworkList",
            Endpoint::NetworkInspect => "NetworkInspect",
            Endpoint::NetworkDelete => "NetworkDelete",
            Endpoint::NetworkCreate => "NetworkCreate",
            Endpoint::NetworkConnect => "NetworkConnect",
            Endpoint::NetworkDisconnect => "NetworkDisconnect",
            Endpoint::NetworkPrune => "NetworkPrune",
            Endpoint::VolumeList => "VolumeList",
            Endpoint::VolumeCreate => "VolumeCreate",
            Endpoint::VolumeInspect => "VolumeInspect",
            Endpoint::VolumeUpdate => "VolumeUpdate",
            Endpoint::VolumeDelete => "VolumeDelete",
            Endpoint::VolumePrune => "VolumePrune",
            Endpoint::SystemAuth => "SystemAuth",
            Endpoint::SystemInfo => "SystemInfo",
            Endpoint::SystemVersion => "SystemVersion",
            Endpoint::SystemPing => "SystemPing",
            Endpoint::SystemPingHead => "SystemPingHead",
            Endpoint::SystemEvents => "SystemEvents",
            Endpoint::SystemDataUsage => "SystemDataUsage",
            Endpoint::Session => "Session",
            Endpoint::SwarmInspect => "SwarmInspect",
            Endpoint::ServiceList => "ServiceList",
            Endpoint::ServiceCreate => "ServiceCreate",
            Endpoint::ServiceInspect => "ServiceInspect",
            Endpoint::ServiceDelete => "ServiceDelete",
            Endpoint::ServiceUpdate => "ServiceUpdate",
            Endpoint::ServiceLogs => "ServiceLogs",
            Endpoint::TaskList => "TaskList",
            Endpoint::TaskInspect => "TaskInspect",
            Endpoint::TaskLogs => "TaskLogs",
            Endpoint::SecretList => "SecretList",
            Endpoint::SecretCreate => "SecretCreate",
            Endpoint::SecretInspect => "SecretInspect",
            Endpoint::SecretDelete => "SecretDelete",
            Endpoint::SecretUpdate => "SecretUpdate",
            Endpoint::ConfigList => "ConfigList",
            Endpoint::ConfigCreate => "ConfigCreate",
            Endpoint::ConfigInspect => "ConfigInspect",
            Endpoint::ConfigDelete => "ConfigDelete",
            Endpoint::ConfigUpdate => "ConfigUpdate",
            Endpoint::NodeList => "NodeList",
            Endpoint::NodeInspect => "NodeInspect",
            Endpoint::Admin(Group::Swarm) => "Swarm",
            Endpoint::Admin(Group::Node) => "Node",
            Endpoint::Admin(Group::Plugin) => "Plugin",
            Endpoint::Admin(Group::Checkpoint) => "Checkpoint",
            Endpoint::Admin(Group::Grpc) => "Grpc",
            Endpoint::Admin(Group::Other) => "Other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Endpoint as E, Group};

    fn split(family: &[E]) -> (Vec<&'static str>, Vec<&'static str>) {
        let reads = family.iter().filter(|e| e.is_read()).map(|e| e.name());
        let writes = family.iter().filter(|e| !e.is_read()).map(|e| e.name());
        (reads.collect(), writes.collect())
    }

    #[test]
    fn containers_read_logs_and_stats_but_attach_is_a_write() {
        let (r, w) = split(&[
            E::ContainerList,
            E::ContainerInspect,
            E::ContainerLogs,
            E::ContainerStats,
            E::ContainerTop,
            E::ContainerArchive,
            E::ContainerWait,
            E::ContainerCreate,
            E::ContainerStart,
            E::ContainerAttach,
            E::ContainerAttachWebsocket,
            E::ContainerResize,
            E::PutContainerArchive,
            E::ContainerDelete,
            E::ContainerPrune,
        ]);
        assert_eq!(
            r,
            [
                "ContainerList",
                "ContainerInspect",
                "ContainerLogs",
                "ContainerStats",
                "ContainerTop",
                "ContainerArchive",
                "ContainerWait"
            ]
        );
        assert!(w.contains(&"ContainerAttach") && w.contains(&"ContainerAttachWebsocket"));
    }

    #[test]
    fn exec_is_a_write_except_its_inspect() {
        let (r, w) = split(&[
            E::ContainerExec,
            E::ExecStart,
            E::ExecResize,
            E::ExecInspect,
        ]);
        assert_eq!(r, ["ExecInspect"]);
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn images_read_lists_and_inspects_but_pull_push_and_build_write() {
        let (r, w) = split(&[
            E::ImageList,
            E::ImageInspect,
            E::ImageHistory,
            E::ImageCreate,
            E::ImagePush,
            E::ImageBuild,
            E::ImageSearch,
            E::ImageDelete,
            E::ImageLoad,
        ]);
        assert_eq!(r, ["ImageList", "ImageInspect", "ImageHistory"]);
        assert_eq!(w.len(), 6);
    }

    #[test]
    fn networks_and_volumes_read_lists_and_inspects() {
        let (r, w) = split(&[
            E::NetworkList,
            E::NetworkInspect,
            E::NetworkCreate,
            E::NetworkConnect,
            E::NetworkDelete,
            E::VolumeList,
            E::VolumeInspect,
            E::VolumeCreate,
            E::VolumeDelete,
            E::VolumePrune,
        ]);
        assert_eq!(
            r,
            [
                "NetworkList",
                "NetworkInspect",
                "VolumeList",
                "VolumeInspect"
            ]
        );
        assert_eq!(w.len(), 6);
    }

    #[test]
    fn system_reads_but_login_sessions_and_administration_write() {
        let (r, w) = split(&[
            E::SystemPing,
            E::SystemPingHead,
            E::SystemVersion,
            E::SystemInfo,
            E::SystemEvents,
            E::SystemDataUsage,
            E::SystemAuth,
            E::Session,
            E::Admin(Group::Swarm),
            E::Admin(Group::Plugin),
            E::Admin(Group::Grpc),
        ]);
        assert_eq!(r.len(), 6);
        assert_eq!(w, ["SystemAuth", "Session", "Swarm", "Plugin", "Grpc"]);
    }

    #[test]
    fn swarm_objects_read_lists_inspects_and_logs() {
        let (r, w) = split(&[
            E::ServiceList,
            E::ServiceLogs,
            E::TaskLogs,
            E::SecretInspect,
            E::ConfigList,
            E::NodeList,
            E::ServiceCreate,
            E::ServiceUpdate,
            E::SecretCreate,
            E::ConfigDelete,
        ]);
        assert_eq!(r.len(), 6);
        assert_eq!(w.len(), 4);
    }
}
