//! The path normaliser, the router and the query parser: the first line is
//! the method, the rest the request target (path and query). Routing, the
//! intake, and a whole judgement (obligations answered) must not panic; a
//! routed request keeps the version it was sent with, and what is forwarded
//! routes to the same endpoint again.
#![no_main]

use fdcs_policy::query::Query;
use fdcs_policy::route::{intake, route, MIN_API_VERSION};
use fdcs_policy::{Request, Verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (method, target) = text.split_once('\n').unwrap_or(("GET", text));
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let _ = intake(method, path, MIN_API_VERSION);
    if let Ok(q) = Query::parse(query) {
        // what we forward is read back as the same pairs
        let again = Query::parse(q.encode().as_deref());
        assert_eq!(again.as_ref().ok(), Some(&q), "query re-encoding");
    }
    let routed = route(method, path, MIN_API_VERSION);
    let req = Request::new(method, target, Vec::new());
    let verdict = fdcs_fuzz::judge(&req);
    if let (Ok(m), Verdict::Allow(f) | Verdict::Rewrite(f)) = (&routed, &verdict) {
        // the forwarded path routes to the endpoint that was judged
        match route(&f.method, &f.path, MIN_API_VERSION) {
            Ok(again) => assert_eq!(again.endpoint, m.endpoint, "{path} forwarded as {}", f.path),
            // a claim (`fdcs.invalid/<tenant>/...`) lengthens an image
            // name past our own bound on what a client may send; the
            // daemon has no such bound
            Err(d) if d.message.contains("is too long") => {}
            Err(d) => panic!("{path} forwarded as {}, which does not route: {d:?}", f.path),
        }
    }
});
