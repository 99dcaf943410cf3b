//! The judge: route, decode, apply the rules and the tenancy, and answer
//! with a [`Verdict`]. One module per resource family under `judge/`.

mod containers;
mod ctx;
mod exec;
mod images;
mod networks;
mod quotas;
mod swarm;
mod system;
mod volumes;

use containers::create::scope_endpoint as containers_create_scope_endpoint;

use crate::query::Query;
use crate::route::{route, Endpoint};
use crate::{Facts, Policy, Request, Tenant, Verdict};
use ctx::{Ctx, Stop};

/// Judges one request for one tenant, given the facts known so far.
///
/// Pure and deterministic: the same inputs always give the same verdict.
/// When the verdict is [`Verdict::Need`], answer the obligations into
/// `facts` and call again; a caller should bound the number of rounds
/// (five is plenty: containers, networks, volumes, exec).
pub fn judge(policy: &Policy, tenant: &Tenant, req: &Request, facts: &Facts) -> Verdict {
    let route = match route(&req.method, &req.path, policy.min_api_version) {
        Ok(r) => r,
        Err(d) => return Verdict::Deny(d),
    };
    let query = match Query::parse(req.query.as_deref()) {
        Ok(q) => q,
        Err(d) => return Verdict::Deny(d),
    };
    let cx = Ctx {
        policy,
        tenant,
        facts,
        req,
        route,
        query,
        rewritten: std::cell::Cell::new(false),
        enforcer: crate::Enforcer::new(&policy.enforcement),
    };
    let outcome = match cx.route.endpoint {
        Endpoint::ContainerList
        | Endpoint::ContainerCreate
        | Endpoint::ContainerInspect
        | Endpoint::ContainerTop
        | Endpoint::ContainerLogs
        | Endpoint::ContainerChanges
        | Endpoint::ContainerExport
        | Endpoint::ContainerStats
        | Endpoint::ContainerResize
        | Endpoint::ContainerStart
        | Endpoint::ContainerStop
        | Endpoint::ContainerRestart
        | Endpoint::ContainerKill
        | Endpoint::ContainerUpdate
        | Endpoint::ContainerRename
        | Endpoint::ContainerPause
        | Endpoint::ContainerUnpause
        | Endpoint::ContainerAttach
        | Endpoint::ContainerAttachWebsocket
        | Endpoint::ContainerWait
        | Endpoint::ContainerDelete
        | Endpoint::ContainerArchiveInfo
        | Endpoint::ContainerArchive
        | Endpoint::PutContainerArchive
        | Endpoint::ContainerPrune => containers::judge(&cx),
        Endpoint::ContainerExec
        | Endpoint::ExecStart
        | Endpoint::ExecResize
        | Endpoint::ExecInspect => exec::judge(&cx),
        Endpoint::ImageList
        | Endpoint::ImageBuild
        | Endpoint::BuildPrune
        | Endpoint::ImageCreate
        | Endpoint::ImageInspect
        | Endpoint::ImageHistory
        | Endpoint::ImagePush
        | Endpoint::ImageTag
        | Endpoint::ImageDelete
        | Endpoint::ImageSearch
        | Endpoint::ImagePrune
        | Endpoint::ImageCommit
        | Endpoint::ImageGet
        | Endpoint::ImageGetAll
        | Endpoint::ImageLoad
        | Endpoint::DistributionInspect
        | Endpoint::ImageAttestations => images::judge(&cx),
        Endpoint::NetworkList
        | Endpoint::NetworkInspect
        | Endpoint::NetworkDelete
        | Endpoint::NetworkCreate
        | Endpoint::NetworkConnect
        | Endpoint::NetworkDisconnect
        | Endpoint::NetworkPrune => networks::judge(&cx),
        Endpoint::VolumeList
        | Endpoint::VolumeCreate
        | Endpoint::VolumeInspect
        | Endpoint::VolumeUpdate
        | Endpoint::VolumeDelete
        | Endpoint::VolumePrune => volumes::judge(&cx),
        Endpoint::SwarmInspect
        | Endpoint::ServiceList
        | Endpoint::ServiceCreate
        | Endpoint::ServiceInspect
        | Endpoint::ServiceDelete
        | Endpoint::ServiceUpdate
        | Endpoint::ServiceLogs
        | Endpoint::TaskList
        | Endpoint::TaskInspect
        | Endpoint::TaskLogs
        | Endpoint::SecretList
        | Endpoint::SecretCreate
        | Endpoint::SecretInspect
        | Endpoint::SecretDelete
        | Endpoint::SecretUpdate
        | Endpoint::ConfigList
        | Endpoint::ConfigCreate
        | Endpoint::ConfigInspect
        | Endpoint::ConfigDelete
        | Endpoint::ConfigUpdate
        | Endpoint::NodeList
        | Endpoint::NodeInspect => swarm::judge(&cx),
        Endpoint::SystemAuth
        | Endpoint::SystemInfo
        | Endpoint::SystemVersion
        | Endpoint::SystemPing
        | Endpoint::SystemPingHead
        | Endpoint::SystemEvents
        | Endpoint::SystemDataUsage
        | Endpoint::Session
        | Endpoint::Admin(_) => system::judge(&cx),
    };
    match outcome.and_then(|fwd| cx.custom_rules(&fwd).map(|()| fwd)) {
        Ok(mut fwd) => {
            // allowed although rules in warn or audit mode refused parts
            // of it: the verdict says which, and where the client can be told
            fwd.warnings = cx.enforcer.take();
            if !fwd.warnings.is_empty() {
                fwd.warnings_field = match cx.route.endpoint {
                    Endpoint::ContainerCreate => Some(crate::WarningsField::List),
                    Endpoint::NetworkCreate => Some(crate::WarningsField::Text),
                    _ => None,
                };
            }
            if cx.changed(&fwd) {
                Verdict::Rewrite(fwd)
            } else {
                Verdict::Allow(fwd)
            }
        }
        Err(Stop::Need(o)) => Verdict::Need(vec![o]),
        Err(Stop::Deny(d)) => Verdict::Deny(d),
    }
}
