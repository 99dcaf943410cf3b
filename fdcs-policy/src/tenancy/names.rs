//! Names fdcs makes up for a tenant: a container created without a name
//! gets one in the tenant's scope, as the daemon would give it one.
//!
//! Left to the daemon, a container without a name gets an engine-wide one
//! such as `flamboyant_feynman`, which is tenant `flamboyant`'s name
//! `feynman`: squatted, and a 409 that shows the other tenant's container
//! id. So the core always names the container (`alpha_<adjective>_<noun>`),
//! and the tenant sees `<adjective>_<noun>` back, like a daemon-generated
//! name. The randomness comes from the adapter ([`crate::Request::entropy`]);
//! the word lists are our own.

use crate::TenantId;

const ADJECTIVES: &[&str] = &[
    "amber", "brave", "brisk", "calm", "clever", "crisp", "daring", "eager", "fancy", "gentle",
    "glad", "golden", "happy", "hardy", "honest", "jolly", "keen", "kind", "lively", "lucid",
    "merry", "mighty", "modest", "neat", "nimble", "noble", "patient", "plucky", "polite", "proud",
    "quick", "quiet", "rapid", "ready", "robust", "rosy", "shiny", "silent", "sleek", "smart",
    "snappy", "steady", "sturdy", "sunny", "swift", "tidy", "upbeat", "vivid", "warm", "wise",
    "witty", "zesty",
];

const NOUNS: &[&str] = &[
    "acorn", "anchor", "badger", "beacon", "birch", "bison", "breeze", "brook", "canyon", "cedar",
    "comet", "coral", "crane", "delta", "ember", "falcon", "fern", "fjord", "forest", "glacier",
    "harbor", "heron", "island", "jaguar", "lagoon", "lantern", "lynx", "maple", "meadow",
    "meteor", "nebula", "oasis", "orca", "otter", "panda", "pebble", "pine", "prairie", "quartz",
    "raven", "reef", "river", "sequoia", "sparrow", "summit", "tundra", "valley", "walrus",
    "willow", "yak", "zebra", "zephyr",
];

/// A generated container name as the tenant sees it (`brisk_otter`), from
/// `entropy`.
pub fn generated(entropy: u64) -> String {
    let n = ADJECTIVES.len() as u64;
    let adjective = ADJECTIVES[usize::try_from(entropy % n).unwrap_or(0)];
    let rest = entropy / n;
    let noun = NOUNS[usize::try_from(rest % NOUNS.len() as u64).unwrap_or(0)];
    // a number, as the daemon adds one on a retry, makes collisions rare
    // (2,704 word pairs alone would collide soon in a busy tenant)
    let number = (rest / NOUNS.len() as u64) % 100;
    format!("{adjective}_{noun}{number}")
}

/// Entropy derived from the request itself, when the adapter gave none
/// (offline judging): FNV-1a over the tenant and the body, so that the
/// same request names the same container.
pub fn derived_entropy(tenant: &TenantId, body: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in tenant
        .as_str()
        .bytes()
        .chain([0])
        .chain(body.iter().copied())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use crate::tenancy::{engine_name, is_valid_name, tenant_name};

    #[test]
    fn generated_names_are_valid_in_the_tenants_scope_and_come_back_bare() {
        let alpha = TenantId::new("alpha").unwrap();
        for e in [0, 1, 51, 52, u64::MAX, 0xdead_beef] {
            let name = generated(e);
            assert!(is_valid_name(&name), "{name}");
            let engine = engine_name(&alpha, &name);
            assert_eq!(tenant_name(&alpha, &engine), Some(name.as_str()));
        }
        assert_ne!(generated(1), generated(2));
    }

    #[test]
    fn derived_entropy_is_stable_and_per_tenant() {
        let a = TenantId::new("alpha").unwrap();
        let b = TenantId::new("beta").unwrap();
        assert_eq!(derived_entropy(&a, b"{}"), derived_entropy(&a, b"{}"));
        assert_ne!(derived_entropy(&a, b"{}"), derived_entropy(&b, b"{}"));
    }
}
