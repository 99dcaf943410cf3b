//! The list filter parser and scoper: any `filters` value, in every scope.
//! A scoped value must parse again, and on an owner-scoped list always
//! carries alpha's owner label and no other reserved label; whatever is
//! refused is refused, never a panic.
#![no_main]

use fdcs_policy::tenancy::filters::{parse, scope, FilterScope};
use fdcs_policy::tenancy::{is_reserved_label, OWNER_LABEL};
use fdcs_policy::Facts;
use libfuzzer_sys::fuzz_target;

const SCOPES: [FilterScope; 10] = [
    FilterScope::ContainerList,
    FilterScope::NetworkList,
    FilterScope::VolumeList,
    FilterScope::Prune,
    FilterScope::Events,
    FilterScope::Images,
    FilterScope::ServiceList,
    FilterScope::TaskList,
    FilterScope::SecretList,
    FilterScope::NodeList,
];

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse(raw);
    let tenant = &fdcs_fuzz::alpha().id;
    let facts = Facts::default();
    let shared = vec!["docker.io".to_string()];
    for s in SCOPES {
        let Ok(scoped) = scope(Some(raw), s, tenant, &facts, &shared) else {
            continue;
        };
        let up = match parse(&scoped.upstream) {
            Ok(up) => up,
            Err(d) => panic!("scoped filters {} do not parse: {d:?}", scoped.upstream),
        };
        // images and nodes are no one's; network and volume events carry
        // no labels (the events rewriter alone decides whose an event is)
        if matches!(s, FilterScope::Images | FilterScope::NodeList | FilterScope::Events) {
            continue;
        }
        let own = format!("{OWNER_LABEL}={}", tenant.as_str());
        let labels = up.get("label").map(Vec::as_slice).unwrap_or_default();
        assert!(labels.contains(&own), "{s:?}: {} lacks {own}", scoped.upstream);
        for l in labels.iter().chain(up.get("label!").into_iter().flatten()) {
            let key = l.split_once('=').map_or(l.as_str(), |(k, _)| k);
            assert!(
                !is_reserved_label(key) || l == &own,
                "{s:?}: reserved label {l} upstream: {}",
                scoped.upstream
            );
        }
    }
});
