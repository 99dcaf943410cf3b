//! Whatever bytes a compose file holds, loading, checking and building the
//! engine requests never panic: a broken file is an error with a position.

use super::interp::Vars;
use super::{checks, engine, load};
use proptest::prelude::*;
use std::path::Path;

fn pipeline(text: &str) {
    let mut sources = Vec::new();
    let vars = Vars::new(vec![("X".to_string(), "/etc".to_string())], None);
    if let Ok(p) = load::from_texts(
        vec![("f.yml".into(), text.into())],
        &vars,
        Path::new("/srv/p"),
        // an include of `f.yml` is a cycle, of `g.yml` a second project
        &crate::files::MemFiles::new()
            .with("/srv/p/f.yml", text)
            .with(
                "/srv/p/g.yml",
                "services:\n  web:\n    image: x\n    profiles: [a]\n",
            ),
        &mut sources,
    ) {
        let _ = checks::check(&p);
        let _ = engine::requests(&p, Path::new("/srv/p"));
    }
}

/// YAML-ish fragments, so the generator reaches deep into services.
const PIECES: &[&str] = &[
    "services:\n",
    "  web:\n",
    "    image: ",
    "    ports: ",
    "    volumes: ",
    "    privileged: ",
    "    cap_add: ",
    "    deploy:\n      resources:\n        limits: ",
    "[",
    "]",
    "{",
    "}",
    "\"80:80\"",
    "- ",
    "\n",
    "${X}",
    "${Y:?e}",
    "$$",
    "${",
    "/var/run/docker.sock:/s",
    "type: bind",
    "source: ",
    "8080-8079:80",
    "&a ",
    "*a",
    "<<: *a\n",
    ": ",
    "0x10",
    "1e400",
    "-1",
    "~",
    "yes",
    "\t",
    "'",
    "\"",
    "networks: [a]\n",
    "network_mode: service:web\n",
    "64q",
    "include: ",
    "path: ",
    "f.yml",
    "g.yml",
    "../../",
    "profiles: ",
    "depends_on: ",
    "blkio_config:\n",
    "      device_read_bps: ",
    "path: /dev/sda",
    "rate: ",
    "device_cgroup_rules: ",
    "priority: ",
    "aliases: ",
    "links: ",
];

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
        pipeline(&s);
    }

    #[test]
    fn arbitrary_compose_fragments_never_panic(parts in proptest::collection::vec(0..PIECES.len(), 0..60)) {
        let text: String = parts.iter().filter_map(|i| PIECES.get(*i).copied()).collect();
        pipeline(&text);
    }
}
