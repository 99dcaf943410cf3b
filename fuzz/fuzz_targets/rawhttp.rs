//! The raw HTTP/1.x request parser of `check` and `test`
//! (`fdcs-cli/src/command/rawhttp.rs`, compiled in here as it is: the CLI
//! crate exports no library API). A request it accepts, written back with
//! a `Content-Length`, parses to the same request; and it is judged.
#![no_main]

#[path = "../../fdcs-cli/src/command/rawhttp.rs"]
#[allow(dead_code, unreachable_pub)]
mod rawhttp;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = rawhttp::parse(data) else {
        return;
    };
    let mut target = req.path.clone();
    if let Some(q) = &req.query {
        target = format!("{target}?{q}");
    }
    let mut again = format!(
        "{} {target} HTTP/1.1\r\nContent-Length: {}\r\n",
        req.method,
        req.body.len()
    );
    if let Some(a) = &req.registry_auth {
        again.push_str(&format!("X-Registry-Auth: {a}\r\n"));
    }
    if let Some(c) = &req.registry_config {
        again.push_str(&format!("X-Registry-Config: {c}\r\n"));
    }
    let mut bytes = again.into_bytes();
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(&req.body);
    match rawhttp::parse(&bytes) {
        Ok(r) => {
            assert_eq!(
                (&r.method, &r.path, &r.query, &r.body),
                (&req.method, &req.path, &req.query, &req.body)
            );
            assert_eq!((&r.registry_auth, &r.registry_config), (&req.registry_auth, &req.registry_config));
        }
        Err(e) => panic!("re-framed request does not parse: {e:#}"),
    }
    let _ = fdcs_fuzz::judge(&req);
});
