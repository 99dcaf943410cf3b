//! The compose loader: any text as a `docker-compose.yml`, loaded with
//! interpolation (an `include` of itself is a cycle, of `g.yml` a second
//! file), checked, turned into the requests compose sends, and linted with
//! the default policy (every request judged) — and as a stack.
#![no_main]

use fdcs_compose::{checks, engine, lint, load, stack, MemFiles, Vars};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = Path::new("/srv/p");
    let files = MemFiles::new()
        .with("/srv/p/docker-compose.yml", text)
        .with("/srv/p/g.yml", "services:\n  web:\n    image: x\n    profiles: [a]\n")
        .with("/srv/p/.env", "TAG=1\n");
    let vars = Vars::new(vec![("X".to_string(), "/etc".to_string())], Some("TAG=1\n"));
    let mut sources = Vec::new();
    let Ok(p) = load::from_texts(
        vec![("docker-compose.yml".into(), text.into())],
        &vars,
        dir,
        &files,
        &mut sources,
    ) else {
        return;
    };
    let _ = checks::check(&p);
    let _ = engine::requests(&p, dir);
    let _ = lint::lint(&p, &sources, fdcs_fuzz::policy(), fdcs_fuzz::alpha());
    let _ = stack::requests(&p, "st", &files);
});
