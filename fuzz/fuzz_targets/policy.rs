//! The policy loader and CEL compiler: any text as a policy file (and as a
//! tenants file). A policy that loads then judges a few requests — its CEL
//! rules evaluated on them — without panicking.
#![no_main]

use fdcs_policy::{Policy, Request, TenantsFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = TenantsFile::from_yaml(text, "fuzz-tenants.yaml");
    let Ok(policy) = Policy::from_yaml(text, "fuzz.yaml") else {
        return;
    };
    let create = br#"{"Image":"busybox","Labels":{"a":"b"},"Env":["X=1"],"HostConfig":{"Memory":67108864,"Binds":["data:/d"],"PortBindings":{"80/tcp":[{"HostPort":""}]}}}"#;
    for req in [
        Request::new("GET", "/v1.41/_ping", Vec::new()),
        Request::new("GET", "/v1.41/containers/json?all=1", Vec::new()),
        Request::new("POST", "/v1.41/containers/create?name=web", create.to_vec()),
        Request::new("POST", "/v1.41/images/create?fromImage=busybox&tag=1", Vec::new()),
        Request::new("POST", "/v1.41/volumes/create", br#"{"Name":"v"}"#.to_vec()),
        Request::new("POST", "/v1.41/containers/db/exec", br#"{"Cmd":["sh"]}"#.to_vec()),
    ] {
        let _ = fdcs_fuzz::judge_with(&policy, &req);
    }
});
