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
    /// Swarm, nodes, services, tasks, secrets, configs, plugins, and other
    /// cluster administration; judged by group.
    Admin(Group),
}

/// Endpoint families that are judged as a whole (swarm specs have their own
/// issue; until then they are administration and denied by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(
    missing_docs,
    reason = "each variant names the family of paths it stands for"
)]
pub enum Group {
    Swarm,
    Node,
    Service,
    Task,
    Secret,
    Config,
    Plugin,
    Checkpoint,
    Grpc,
    Other,
}

impl Endpoint {
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
            Endpoint::Admin(Group::Swarm) => "Swarm",
            Endpoint::Admin(Group::Node) => "Node",
            Endpoint::Admin(Group::Service) => "Service",
            Endpoint::Admin(Group::Task) => "Task",
            Endpoint::Admin(Group::Secret) => "Secret",
            Endpoint::Admin(Group::Config) => "Config",
            Endpoint::Admin(Group::Plugin) => "Plugin",
            Endpoint::Admin(Group::Checkpoint) => "Checkpoint",
            Endpoint::Admin(Group::Grpc) => "Grpc",
            Endpoint::Admin(Group::Other) => "Other",
        }
    }
}
