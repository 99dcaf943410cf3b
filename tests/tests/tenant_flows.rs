//! What each tenant does with the ordinary docker CLI — both tenants at the
//! same time and with the same names — works, inside its own namespace.
//! Every test ends with the isolation invariant (`Case::finish`).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{case, http, Tenant};
use std::time::Duration;

/// The host port `docker port <c> 80` reports.
fn published_port(t: &Tenant, container: &str) -> u16 {
    let out = t.docker(&["port", container, "80"]);
    let text = out.ok();
    text.lines()
        .find_map(|l| l.rsplit_once(':').and_then(|(_, p)| p.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no published port for {container}:\n{out}"))
}

/// GETs `path` from the published port, retrying while httpd starts.
fn fetch(port: u16, path: &str) -> http::Response {
    let mut last = String::new();
    for _ in 0..50 {
        match http::get(port, path, &[]) {
            Ok(r) if r.status == 200 => return r,
            Ok(r) => last = format!("{} {}", r.head, r.body),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("GET {path} on 127.0.0.1:{port} never answered 200: {last}");
}

#[test]
fn web_serves_its_own_page_on_a_published_port_and_obeys_lifecycle_commands() {
    let Some(c) = case() else { return };
    let web = c.name("web");
    let tmp = c.name("tmp");
    let tmp2 = c.name("tmp2");
    c.both(|t| {
        // --expose 80: -P publishes httpd's port whatever the image declares
        // (the suite's busybox declares EXPOSE 80, see tests/image/busybox.sh).
        let id = t.docker(&[
            "run", "-d", "-P", "--expose", "80", "--name", &web, "busybox", "httpd", "-f", "-p",
            "80",
        ]);
        let id = id.ok().to_owned();
        assert_eq!(id.len(), 64, "run -d prints the full id: {id}");
        let page = format!("hello from {}", t.id);
        t.docker(&[
            "exec",
            &web,
            "sh",
            "-c",
            &format!("echo '{page}' > /hello.html"),
        ])
        .ok();
        let port = published_port(t, &web);
        let r = fetch(port, "/hello.html");
        assert!(
            r.body.contains(&page),
            "{} got someone else's page: {:?}",
            t.id,
            r.body
        );

        let ps = t.docker(&["ps", "--format", "{{.Names}}"]);
        assert!(ps.ok().lines().any(|l| l == web), "ps lacks {web}:\n{ps}");
        let ps = t.docker(&[
            "ps",
            "-a",
            "--filter",
            &format!("name={web}"),
            "--format",
            "{{.Names}}",
        ]);
        assert_eq!(ps.ok(), web, "ps -a --filter name=");
        let ls = t.docker(&["exec", &web, "ls", "/"]);
        assert!(ls.ok().lines().any(|l| l == "hello.html"), "exec ls:\n{ls}");
        t.docker(&["logs", &web]).ok();

        let name = t.docker(&["inspect", "--format", "{{.Name}}", &web]);
        assert_eq!(
            name.ok(),
            format!("/{web}"),
            "inspect shows the tenant's own name"
        );
        let full = t.docker(&["inspect", &web]);
        let text = full.ok();
        assert!(
            !text.contains("fdcs."),
            "inspect leaks fdcs labels:\n{text}"
        );
        assert!(
            !text.contains(&format!("{}_", t.id)),
            "inspect leaks engine-side names:\n{text}"
        );
        assert!(text.contains(&id), "inspect shows the id");

        t.docker(&["stop", "-t", "1", &web]).ok();
        let st = t.docker(&["inspect", "--format", "{{.State.Running}}", &web]);
        assert_eq!(st.ok(), "false");
        t.docker(&["start", &web]).ok();
        t.docker(&["restart", "-t", "1", &web]).ok();
        let st = t.docker(&["inspect", "--format", "{{.State.Running}}", &web]);
        assert_eq!(st.ok(), "true");

        t.docker(&["run", "-d", "--name", &tmp, "busybox", "sleep", "300"])
            .ok();
        t.docker(&["rename", &tmp, &tmp2]).ok();
        let gone = t.docker(&["container", "inspect", &tmp]);
        gone.fails_with("no such");
        let st = t.docker(&["inspect", "--format", "{{.Name}}", &tmp2]);
        assert_eq!(st.ok(), format!("/{tmp2}"));
        t.docker(&["rm", "-f", &tmp2]).ok();
        t.docker(&["container", "inspect", &tmp2])
            .fails_with("no such");
    });
    c.finish();
}

/// The README, read at test time: its examples are what these tests run.
fn readme() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The words of the README's first `docker ... run -d` command as alpha,
/// after `-H tcp://127.0.0.1:2375` (single quotes as a shell reads them).
fn readme_main_command() -> Vec<String> {
    let prefix = "docker --config ~/.docker-alpha -H tcp://127.0.0.1:2375 run -d ";
    let text = readme();
    let line = text
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("README.md has no line starting with `{prefix}`"));
    let rest = line.strip_prefix("docker --config ~/.docker-alpha -H tcp://127.0.0.1:2375 ");
    let mut words = Vec::new();
    let (mut word, mut quoted, mut any) = (String::new(), false, false);
    for ch in rest.unwrap_or_default().chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            _ => {
                word.push(ch);
                any = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in the README's command: {line}");
    if any {
        words.push(word);
    }
    words
}

#[test]
fn readme_main_command_serves_a_page() {
    // Exactly the README's command (only the name is the test's own): with
    // `-p 80` and the page written by the command itself it works with any
    // busybox, whatever the image declares or contains.
    let Some(c) = case() else { return };
    let web = c.name("web");
    let t = c.alpha();
    let mut args = readme_main_command();
    let at = args
        .iter()
        .position(|w| w == "--name")
        .unwrap_or_else(|| panic!("the README's command names no container: {args:?}"));
    assert_eq!(
        args.get(at + 1).map(String::as_str),
        Some("web"),
        "{args:?}"
    );
    args[at + 1] = web.clone();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    t.docker(&args).ok();
    let p = published_port(t, &web);
    let r = fetch(p, "/");
    assert_eq!(r.body.trim(), "hello from alpha", "page: {:?}", r.body);
    c.finish();
}

#[test]
fn readme_test_command_is_what_ci_runs() {
    // No engine needed: the README's test command and .ci/run's are one.
    let command = "cargo test --workspace --no-fail-fast";
    let ci_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/run");
    let ci = std::fs::read_to_string(&ci_path).unwrap();
    let text = readme();
    let section = text
        .split("\n## Test it\n")
        .nth(1)
        .unwrap_or_else(|| panic!("README.md has no `## Test it` section"));
    let first_block = section
        .split("```")
        .nth(1)
        .unwrap_or_else(|| panic!("`## Test it` has no code block"));
    assert_eq!(first_block.trim(), command, "README's test command");
    assert!(
        ci.lines().any(|l| l.trim() == command),
        ".ci/run does not run `{command}` on a line of its own"
    );
}

#[test]
fn run_rm_attaches_and_logs_show_own_output() {
    let Some(c) = case() else { return };
    let talk = c.name("talk");
    c.both(|t| {
        // The tunnel carries both directions: stdin in, stdout out.
        let line = format!("through the tunnel as {}", t.id);
        let out = t.docker_stdin(
            format!("{line}\n").as_bytes(),
            &["run", "--rm", "-i", "busybox", "cat"],
        );
        assert_eq!(out.ok(), line, "run -i attach");
        let out = t.docker(&["run", "--rm", "busybox", "echo", "hi"]);
        assert_eq!(out.ok(), "hi", "attach output");
        let said = format!("said-by-{}", t.id);
        t.docker(&[
            "run",
            "-d",
            "--name",
            &talk,
            "busybox",
            "sh",
            "-c",
            &format!("echo {said}; sleep 300"),
        ])
        .ok();
        let mut logs = String::new();
        for _ in 0..50 {
            logs = t.docker(&["logs", &talk]).ok().to_owned();
            if !logs.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(logs, said, "{} must read its own container's logs", t.id);
        let ex = t.docker(&["exec", &talk, "echo", "inside"]);
        assert_eq!(ex.ok(), "inside");
        let ex = t.docker_stdin(b"piped into exec\n", &["exec", "-i", &talk, "cat"]);
        assert_eq!(ex.ok(), "piped into exec", "exec -i");
    });
    c.finish();
}

#[test]
fn networks_create_list_inspect_connect_disconnect_remove() {
    let Some(c) = case() else { return };
    let net = c.name("net");
    let keep = c.name("keep");
    let box_ = c.name("box");
    c.both(|t| {
        t.docker(&["network", "create", &net]).ok();
        let ls = t.docker(&["network", "ls", "--format", "{{.Name}}"]);
        assert!(ls.ok().lines().any(|l| l == net), "network ls:\n{ls}");
        let name = t.docker(&["network", "inspect", "--format", "{{.Name}}", &net]);
        assert_eq!(name.ok(), net);
        let full = t.docker(&["network", "inspect", &net]);
        assert!(
            !full.ok().contains("fdcs."),
            "network inspect leaks fdcs labels:\n{full}"
        );
        t.docker(&["run", "-d", "--name", &box_, "busybox", "sleep", "300"])
            .ok();
        t.docker(&["network", "connect", &net, &box_]).ok();
        let nets = t.docker(&[
            "inspect",
            "--format",
            "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
            &box_,
        ]);
        assert!(
            nets.ok().split_whitespace().any(|n| n == net),
            "connected networks:\n{nets}"
        );
        t.docker(&["network", "disconnect", &net, &box_]).ok();
        let nets = t.docker(&[
            "inspect",
            "--format",
            "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
            &box_,
        ]);
        assert!(
            !nets.ok().split_whitespace().any(|n| n == net),
            "still connected:\n{nets}"
        );
        t.docker(&["network", "rm", &net]).ok();
        t.docker(&["network", "inspect", &net]).fails();
        t.docker(&["network", "create", &keep]).ok();
        t.docker(&["network", "connect", &keep, &box_]).ok();
    });
    c.finish();
}

#[test]
fn volumes_create_list_inspect_remove_and_run_with_a_named_volume() {
    let Some(c) = case() else { return };
    let vol = c.name("vol");
    let data = c.name("data");
    c.both(|t| {
        t.docker(&["volume", "create", &vol]).ok();
        let ls = t.docker(&["volume", "ls", "--format", "{{.Name}}"]);
        assert!(ls.ok().lines().any(|l| l == vol), "volume ls:\n{ls}");
        let name = t.docker(&["volume", "inspect", "--format", "{{.Name}}", &vol]);
        assert_eq!(name.ok(), vol);
        let full = t.docker(&["volume", "inspect", &vol]);
        assert!(
            !full.ok().contains("fdcs."),
            "volume inspect leaks fdcs labels:\n{full}"
        );
        t.docker(&["volume", "rm", &vol]).ok();
        t.docker(&["volume", "inspect", &vol]).fails_with("no such");

        let secret = format!("kept-by-{}", t.id);
        let mount = format!("{data}:/data");
        t.docker(&[
            "run",
            "--rm",
            "-v",
            &mount,
            "busybox",
            "sh",
            "-c",
            &format!("echo {secret} > /data/f"),
        ])
        .ok();
        let read = t.docker(&["run", "--rm", "-v", &mount, "busybox", "cat", "/data/f"]);
        assert_eq!(read.ok(), secret, "{} must read its own volume", t.id);
        let ls = t.docker(&["volume", "ls", "--format", "{{.Name}}"]);
        assert!(
            ls.ok().lines().any(|l| l == data),
            "a volume made by run -v is listed:\n{ls}"
        );
    });
    c.finish();
}

#[test]
fn cp_into_and_out_of_own_container() {
    let Some(c) = case() else { return };
    let box_ = c.name("cpbox");
    let dir = fdcs_e2e::scratch_dir("cp");
    c.both(|t| {
        t.docker(&["run", "-d", "--name", &box_, "busybox", "sleep", "300"])
            .ok();
        let src = dir.join(format!("in-{}.txt", t.id));
        let content = format!("copied in by {}\n", t.id);
        std::fs::write(&src, &content).unwrap();
        let dst_in = format!("{box_}:/tmp/in.txt");
        t.docker(&["cp", src.to_str().unwrap(), &dst_in]).ok();
        let cat = t.docker(&["exec", &box_, "cat", "/tmp/in.txt"]);
        assert_eq!(cat.ok(), content.trim());
        let back = dir.join(format!("out-{}.txt", t.id));
        t.docker(&["cp", &dst_in, back.to_str().unwrap()]).ok();
        assert_eq!(std::fs::read_to_string(&back).unwrap(), content);
    });
    c.finish();
}

#[test]
fn top_and_stats_show_the_tenants_own_names() {
    let Some(c) = case() else { return };
    let busy = c.name("busy");
    c.both(|t| {
        t.docker(&["run", "-d", "--name", &busy, "busybox", "sleep", "300"])
            .ok();
        let top = t.docker(&["top", &busy]);
        assert!(top.ok().contains("sleep 300"), "top:\n{top}");
        let stats = t.docker(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.MemUsage}}",
            &busy,
        ]);
        let line = stats.ok();
        assert!(
            line.starts_with(&format!("{busy} ")),
            "stats must show the tenant's own name:\n{stats}"
        );
        assert!(
            line.contains("MiB"),
            "stats shows the memory limit:\n{stats}"
        );
    });
    c.finish();
}

#[test]
fn events_stream_shows_only_own_events_with_own_names() {
    let Some(c) = case() else { return };
    let mine = c.name("ev");
    let theirs = c.name("bev");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (since, until) = (now.to_string(), (now + 12).to_string());
    let a = c.alpha();
    std::thread::scope(|s| {
        // A live stream (until a moment in the future), read while both act.
        let stream = s.spawn(|| {
            a.docker_timeout(
                &[
                    "events",
                    "--since",
                    &since,
                    "--until",
                    &until,
                    "--format",
                    "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
                ],
                Duration::from_secs(30),
            )
        });
        std::thread::sleep(Duration::from_secs(2));
        a.docker(&["create", "--name", &mine, "busybox", "true"])
            .ok();
        c.beta()
            .docker(&["create", "--name", &theirs, "busybox", "true"])
            .ok();
        let out = stream.join().unwrap();
        let text = out.ok();
        assert!(
            text.lines()
                .any(|l| l == format!("container create {mine}")),
            "alpha's own event, by its own name:\n{out}"
        );
        assert!(!text.contains(&theirs), "alpha sees beta's events:\n{out}");
        assert!(
            !text.contains("alpha_") && !text.contains("beta_"),
            "engine-side names in events:\n{out}"
        );
    });
    c.finish();
}

#[test]
fn plain_inspect_of_a_missing_name_says_no_such_object() {
    // `docker inspect NAME` without --type asks for a container, image,
    // volume, network, ... and plugin; the engine's answer for a name that
    // is none of them is "No such object", and so must the proxy's be.
    let Some(c) = case() else { return };
    let missing = c.name("missing");
    c.both(|t| {
        t.docker(&["inspect", &missing])
            .fails_with("no such object");
    });
    c.finish();
}

#[test]
fn exec_start_is_tunnelled_with_and_without_upgrade_headers() {
    let Some(c) = case() else { return };
    let hj = c.name("hj");
    let t = c.alpha();
    t.docker(&["run", "-d", "--name", &hj, "busybox", "sleep", "300"])
        .ok();
    let port = c.env.proxy.port;
    let json = [
        ("X-Auth-Token", "alpha-token"),
        ("X-Auth-TenantId", "alpha"),
        ("Content-Type", "application/json"),
    ];
    for (i, upgrade) in [false, true].into_iter().enumerate() {
        let word = format!("raw-hijack-{i}");
        let body = format!(
            r#"{{"AttachStdout":true,"AttachStderr":true,"Tty":true,"Cmd":["echo","{word}"]}}"#
        );
        let r = http::request(
            port,
            "POST",
            &format!("/v1.41/containers/{hj}/exec"),
            &json,
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(r.status, 201, "exec create:\n{}\n{}", r.head, r.body);
        let v: serde_json::Value = serde_json::from_str(r.body.trim())
            .unwrap_or_else(|e| panic!("exec create body {:?}: {e}", r.body));
        let id = v["Id"].as_str().unwrap().to_owned();
        let start = br#"{"Detach":false,"Tty":true}"#;
        let mut req = format!(
            "POST /v1.41/exec/{id}/start HTTP/1.1\r\nHost: fdcs\r\nX-Auth-Token: alpha-token\r\nX-Auth-TenantId: alpha\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n",
            start.len()
        );
        req.push_str(if upgrade {
            "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
        } else {
            "Connection: close\r\n\r\n"
        });
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(start);
        let text = http::raw(port, &bytes, Duration::from_secs(20)).unwrap();
        let want = if upgrade {
            "HTTP/1.1 101"
        } else {
            "HTTP/1.1 200"
        };
        assert!(
            text.starts_with(want),
            "exec start (upgrade: {upgrade}): expected {want}:\n{text}"
        );
        assert!(
            text.contains(&word),
            "exec start (upgrade: {upgrade}): output missing:\n{text}"
        );
    }
    c.finish();
}

#[test]
fn pause_unpause_kill_wait_and_follow_logs_on_own_containers() {
    let Some(c) = case() else { return };
    let p = c.name("pz");
    let f = c.name("follow");
    c.both(|t| {
        t.docker(&["run", "-d", "--name", &p, "busybox", "sleep", "300"])
            .ok();
        t.docker(&["pause", &p]).ok();
        let st = t.docker(&["inspect", "--format", "{{.State.Status}}", &p]);
        assert_eq!(st.ok(), "paused");
        t.docker(&["unpause", &p]).ok();
        t.docker(&["kill", &p]).ok();
        let code = t.docker(&["wait", &p]);
        assert_eq!(code.ok(), "137", "exit code after kill");
        // logs -f streams until the container exits.
        t.docker(&[
            "run",
            "-d",
            "--name",
            &f,
            "busybox",
            "sh",
            "-c",
            "echo first; sleep 1; echo second",
        ])
        .ok();
        let logs = t.docker_timeout(&["logs", "-f", &f], Duration::from_secs(30));
        assert_eq!(logs.ok(), "first\nsecond", "logs -f");
    });
    c.finish();
}

#[test]
fn older_clients_and_api_versions_work_and_too_old_ones_are_refused() {
    let Some(c) = case() else { return };
    let old = c.name("old");
    let t = c.alpha();
    // The Debian CLI 20.10, when installed beside CLI 28.
    if std::path::Path::new("/usr/bin/docker").is_file() {
        let d = |args: &[&str]| t.docker_bin("/usr/bin/docker", &[], args);
        d(&["run", "-d", "--name", &old, "busybox", "sleep", "300"]).ok();
        let ps = d(&["ps", "--format", "{{.Names}}"]);
        assert!(ps.ok().lines().any(|l| l == old), "CLI 20.10 ps:\n{ps}");
        assert_eq!(d(&["exec", &old, "echo", "old-cli"]).ok(), "old-cli");
        d(&["rm", "-f", &old]).ok();
    }
    // The oldest API version the default policy accepts, and one below it.
    let ps = t.docker_env(&[("DOCKER_API_VERSION", "1.24")], &["ps"]);
    ps.ok();
    let too_old = t.docker_env(&[("DOCKER_API_VERSION", "1.23")], &["ps"]);
    too_old.fails_with("fdcs:");
    c.finish();
}
