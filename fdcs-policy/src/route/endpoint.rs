//! Every Docker Engine API endpoint the router knows.

/// One Docker Engine API endpoint (API v1.24 up to the current version).
///
/// Variants are named after moby's swagger `operationId`. Path parameters are
/// carried in [`super::RouteMatch::params`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the names are the swagger operation ids
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
#[allow(missing_docs)]
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
    /// The swagger operation id, used in messages and audit lines.
    pub fn name(self) -> String {
        match self {
            Endpoint::Admin(g) => format!("{g:?}"),
            other => format!("{other:?}"),
        }
    }
}
