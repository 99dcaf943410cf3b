//! The body decoder and the container create judge: any bytes as a create
//! body, at the newest API version and at 1.24 (legacy top-level fields);
//! whatever is allowed or rewritten must hold invariants 3–8
//! ([`fdcs_fuzz::assert_safe_create`]).
#![no_main]

use fdcs_policy::{Request, Verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    for prefix in ["/v1.41", "/v1.24"] {
        let path = format!("{prefix}/containers/create?name=web");
        let req = Request::new("POST", &path, body.to_vec());
        match fdcs_fuzz::judge(&req) {
            Verdict::Allow(f) | Verdict::Rewrite(f) => match f.body {
                Some(b) => fdcs_fuzz::assert_safe_create(&b),
                None => panic!("an allowed create forwards a body"),
            },
            Verdict::Deny(d) => assert!(d.status >= 400 && !d.message.is_empty()),
            Verdict::Need(o) => panic!("every question was answered, yet {o:?}"),
        }
    }
});
