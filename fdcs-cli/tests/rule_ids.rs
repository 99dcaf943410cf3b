//! The catalog and `lint` agree on the compose checks' ids: every
//! `compose.*` id the catalog documents is reported on some compose file of
//! the lint corpus (`tests/compose/*/expected.json`, which `lint_corpus.rs`
//! checks against what `lint` prints), and every id the corpus expects is a
//! documented one or a policy's `custom.<id>`. Together with the core's
//! corpus (`fdcs-policy/tests/corpus.rs`) and the tower layer's table
//! (`fair.rs`), each documented id is shown emitted where it is emitted.
#![allow(
    clippy::expect_used,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use std::collections::BTreeSet;
use std::path::Path;

use fdcs_policy::rules::catalog::{catalog, Layer};
use fdcs_policy::RuleId;

/// The rule ids of every finding the lint corpus expects (`"FILE:L:C
/// SEVERITY RULE"`).
fn corpus_ids() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/compose");
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(&root).expect("tests/compose") {
        let path = entry.expect("entry").path().join("expected.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(&text).expect("expected.json is JSON");
        for f in v["findings"].as_array().into_iter().flatten() {
            if let Some(rule) = f.as_str().and_then(|s| s.split_whitespace().nth(2)) {
                ids.insert(rule.to_string());
            }
        }
    }
    ids
}

#[test]
fn every_documented_compose_check_is_reported_and_every_reported_id_documented() {
    let ids = corpus_ids();
    assert!(
        !ids.is_empty(),
        "the lint corpus expects no findings at all"
    );
    let never: Vec<&RuleId> = catalog()
        .iter()
        .map(|d| &d.id)
        .filter(|id| id.layer() == Layer::Lint && !ids.contains(id.as_str()))
        .collect();
    assert!(
        never.is_empty(),
        "documented compose checks no corpus file reports: {never:?}"
    );
    let undocumented: Vec<&String> = ids
        .iter()
        .filter(|id| RuleId::parse(id).is_none())
        .collect();
    assert!(
        undocumented.is_empty(),
        "the lint corpus expects undocumented ids: {undocumented:?}"
    );
}
