//! `fdcs-policy lint` as CI runs it: how files are named, the SARIF and
//! JUnit reports CI systems upload, and input errors in them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .arg("lint")
        .args(args)
        .output()
        .expect("run fdcs-policy")
}

/// A scratch directory unique to this test, with the given files.
fn scratch(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fdcs-lint-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const BIND: &str =
    "services:\n  web:\n    image: nginx:1.25\n    volumes:\n      - ./src:/usr/share/nginx/html\n";

fn rules_at(out: &Output) -> Vec<String> {
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {}",
                f["file"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_bare_file_name_resolves_relative_paths_from_its_own_directory() {
    let dir = scratch("bare", &[("compose.yml", BIND)]);
    let bare = lint(&dir, &["--format", "json", "compose.yml"]);
    let dotted = lint(&dir, &["--format", "json", "./compose.yml"]);
    let by_dir = lint(&dir, &["--format", "json", "."]);
    let f = lint(&dir, &["--format", "json", "-f", "compose.yml"]);
    let got = rules_at(&bare);
    assert!(
        got.contains(&"compose.yml:5:9 mounts.no-host-path".to_string()),
        "the bind mount, not a volume named `./src`: {got:?}"
    );
    assert!(!got.iter().any(|r| r.ends_with("tenancy.name")), "{got:?}");
    assert_eq!(got, rules_at(&dotted));
    assert_eq!(got, rules_at(&by_dir));
    assert_eq!(got, rules_at(&f));
    // from elsewhere, named through its directory
    let parent = dir.parent().unwrap();
    let name = format!("{}/compose.yml", dir.file_name().unwrap().to_str().unwrap());
    let other = lint(parent, &["--format", "json", &name]);
    let other: Vec<String> = rules_at(&other)
        .into_iter()
        .map(|r| {
            r.replace(
                &format!("{}/", dir.file_name().unwrap().to_str().unwrap()),
                "",
            )
        })
        .collect();
    assert_eq!(got, other);
    std::fs::remove_dir_all(&dir).ok();
}

/// Validates a SARIF document against the SARIF 2.1.0 schema shipped in
/// `tests/data` (python3 with `jsonschema`, as the corpus test uses).
fn assert_valid_sarif(doc: &[u8], name: &str) {
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/sarif-schema-2.1.0.json");
    let file =
        std::env::temp_dir().join(format!("fdcs-lint-cli-{}-{name}.sarif", std::process::id()));
    std::fs::write(&file, doc).unwrap();
    let check = Command::new("python3")
        .arg("-c")
        .arg("import json,sys,jsonschema; jsonschema.Draft4Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("python3 with the `jsonschema` package is needed (pip install jsonschema)");
    std::fs::remove_file(&file).ok();
    assert!(
        check.status.success(),
        "SARIF does not validate: {}",
        String::from_utf8_lossy(&check.stderr)
    );
}

fn sarif(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn a_yaml_error_is_exit_2_and_a_sarif_run_that_failed() {
    let dir = scratch(
        "yaml-error",
        &[(
            "compose.yml",
            "services:\n  web:\n    image: nginx\n     ports: [\"80:80\"]\n",
        )],
    );
    let out = lint(&dir, &["--format", "sarif", "compose.yml"]);
    assert_eq!(out.status.code(), Some(2));
    let doc = sarif(&out);
    let run = &doc["runs"][0];
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false, "{doc:#}");
    assert_eq!(inv["exitCode"], 2);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{doc:#}");
    assert_eq!(notes[0]["level"], "error");
    let loc = &notes[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "compose.yml");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "SRCROOT");
    assert_eq!(loc["region"]["startLine"], 4);
    assert_valid_sarif(&out.stdout, "yaml-error");

    // a clean-looking run is only one that succeeded
    let ok = scratch("yaml-ok", &[("compose.yml", BIND)]);
    let out = lint(&ok, &["--format", "sarif", "compose.yml"]);
    let inv = &sarif(&out)["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    assert_eq!(inv["toolExecutionNotifications"], Value::Array(vec![]));

    // JUnit: the file is an <error> case, counted in `errors`
    let out = lint(&dir, &["--format", "junit", "compose.yml"]);
    assert_eq!(out.status.code(), Some(2));
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(
        xml.contains(
            "<testsuites name=\"fdcs-policy lint\" tests=\"1\" failures=\"0\" errors=\"1\">"
        ),
        "{xml}"
    );
    assert_eq!(xml.matches("<error ").count(), 1, "{xml}");
    assert!(xml.contains("compose.yml:4:"), "{xml}");
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&ok).ok();
}

fn fingerprints(doc: &Value) -> Vec<(String, String, u64)> {
    let mut v: Vec<(String, String, u64)> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"]["fdcsFindingHash/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn sarif_fingerprints_survive_lines_moving_and_tell_findings_apart() {
    let two = "services:\n  web:\n    image: nginx:1.25\n    ports: [\"8080:80\", \"8081:81\"]\n  api:\n    image: nginx:1.25\n    ports: [\"8080:80\"]\n";
    let dir = scratch("fp", &[("compose.yml", two)]);
    let before = sarif(&lint(&dir, &["--format", "sarif", "."]));
    std::fs::write(dir.join("compose.yml"), format!("# moved\n# down\n{two}")).unwrap();
    let after = sarif(&lint(&dir, &["--format", "sarif", "."]));
    let (b, a) = (fingerprints(&before), fingerprints(&after));
    assert!(b.len() > 4, "{b:?}");
    let strip = |v: &[(String, String, u64)]| -> Vec<(String, String)> {
        v.iter().map(|(r, f, _)| (r.clone(), f.clone())).collect()
    };
    assert_eq!(strip(&b), strip(&a), "same findings, same fingerprints");
    assert_ne!(
        b.iter().map(|x| x.2).collect::<Vec<_>>(),
        a.iter().map(|x| x.2).collect::<Vec<_>>(),
        "the lines did move"
    );
    let mut prints: Vec<&String> = b.iter().map(|(_, f, _)| f).collect();
    prints.sort();
    prints.dedup();
    assert_eq!(
        prints.len(),
        b.len(),
        "every result has its own fingerprint: {b:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sarif_uris_are_relative_to_base_with_rules_described_and_code_point_columns() {
    let text = "services:\n  web: { image: \"ñginx:1.25\", privileged: true }\n";
    let dir = scratch("base", &[("app/compose.yml", text)]);
    // default base outside a repository: the current directory
    let out = lint(&dir, &["--format", "sarif", "app/compose.yml"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = sarif(&out);
    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    let canon = std::fs::canonicalize(&dir).unwrap();
    assert_eq!(base, format!("file://{}/", canon.display()));
    let priv_result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "privileges.privileged")
        .unwrap_or_else(|| panic!("{doc:#}"));
    let phys = &priv_result["locations"][0]["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], "app/compose.yml");
    assert_eq!(phys["artifactLocation"]["uriBaseId"], "SRCROOT");
    let line = text.lines().nth(1).unwrap();
    let want = line[..line.find("privileged").unwrap()].chars().count() + 1;
    assert_eq!(
        phys["region"]["startColumn"], want as u64,
        "code points, not bytes"
    );
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(rule["shortDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        assert!(
            rule["help"]["text"]
                .as_str()
                .unwrap()
                .contains("How to comply"),
            "{rule:#}"
        );
        assert!(rule.get("helpUri").is_none(), "no invented URL: {rule:#}");
    }
    assert_valid_sarif(&out.stdout, "base");

    // --base elsewhere: relative to it
    let out = lint(
        &dir.join("app"),
        &["--format", "sarif", "--base", ".", "compose.yml"],
    );
    let doc = sarif(&out);
    assert_eq!(
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "compose.yml"
    );
    // a file outside the base: an absolute file:// URI, no base id
    std::fs::create_dir_all(dir.join("other")).unwrap();
    std::fs::write(dir.join("other/compose.yml"), text).unwrap();
    let out = lint(
        &dir,
        &["--format", "sarif", "--base", "app", "other/compose.yml"],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = sarif(&out);
    let art = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(
        art["uri"],
        format!("file://{}/other/compose.yml", canon.display())
    );
    assert!(art.get("uriBaseId").is_none(), "{art}");
    assert_valid_sarif(&out.stdout, "outside");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn junit_fails_only_at_or_above_fail_on_and_counts_cases() {
    // `web` has warnings only, `root` an error
    let text = "services:\n  web:\n    image: nginx:1.25\n  root:\n    image: nginx:1.25\n    privileged: true\n";
    let dir = scratch("junit", &[("compose.yml", text)]);
    let out = lint(&dir, &["--format", "junit", "."]);
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(
        xml.contains(
            "<testsuites name=\"fdcs-policy lint\" tests=\"2\" failures=\"1\" errors=\"0\">"
        ),
        "{xml}"
    );
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(
        xml.contains("<testcase name=\"web\" classname=\"compose.yml\" file=\"compose.yml\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<system-out>"),
        "warnings are listed, not failed: {xml}"
    );
    let out = lint(&dir, &["--format", "junit", "--fail-on", "warning", "."]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(
        xml.contains("tests=\"2\" failures=\"2\" errors=\"0\""),
        "{xml}"
    );
    // a clean service is a passing case too
    let clean = "services:\n  ok:\n    image: nginx:1.25\n    mem_limit: 64m\n    cpus: 0.2\n    pids_limit: 50\n    security_opt: [\"no-new-privileges:true\"]\n    healthcheck: { test: [\"CMD\", \"true\"] }\n";
    std::fs::write(dir.join("compose.yml"), clean).unwrap();
    let out = lint(&dir, &["--format", "junit", "."]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(
        xml.contains("tests=\"1\" failures=\"0\" errors=\"0\""),
        "{xml}"
    );
    assert!(xml.contains("<testcase name=\"ok\""), "{xml}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The value of `name="..."` in the first tag `tag` of `xml`.
fn attr(xml: &str, tag: &str, name: &str) -> usize {
    let start = xml.find(&format!("<{tag} ")).unwrap();
    let head = &xml[start..start + xml[start..].find('>').unwrap()];
    let key = format!(" {name}=\"");
    let at = head
        .find(&key)
        .unwrap_or_else(|| panic!("{name} in {head}"))
        + key.len();
    head[at..at + head[at..].find('"').unwrap()]
        .parse()
        .unwrap()
}

#[test]
fn every_corpus_case_gives_valid_sarif_and_junit_whose_totals_add_up() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/compose");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 30);
    let scratch = scratch("corpus-sarif", &[]);
    let mut files = Vec::new();
    for dir in &dirs {
        let args: Vec<String> = std::fs::read_to_string(dir.join("args")).map_or_else(
            |_| vec![".".to_string()],
            |t| {
                t.lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            },
        );
        let argv = |format: &'static str| {
            let mut v = vec!["--format", format];
            v.extend(args.iter().map(String::as_str));
            v
        };
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        let s = lint(dir, &argv("sarif"));
        let doc = sarif(&s);
        let inv = &doc["runs"][0]["invocations"][0];
        assert_eq!(
            inv["executionSuccessful"],
            s.status.code() != Some(2),
            "{name}: {inv}"
        );
        assert_eq!(
            inv["exitCode"].as_i64(),
            s.status.code().map(i64::from),
            "{name}"
        );
        let file = scratch.join(format!("{name}.sarif"));
        std::fs::write(&file, &s.stdout).unwrap();
        files.push(file);

        let j = lint(dir, &argv("junit"));
        assert_eq!(j.status.code(), s.status.code(), "{name}");
        let xml = String::from_utf8(j.stdout).unwrap();
        let cases = xml.matches("<testcase ").count();
        assert!(cases > 0, "{name}: {xml}");
        assert_eq!(attr(&xml, "testsuites", "tests"), cases, "{name}: {xml}");
        assert_eq!(
            attr(&xml, "testsuites", "failures"),
            xml.matches("<failure ").count(),
            "{name}"
        );
        assert_eq!(
            attr(&xml, "testsuites", "errors"),
            xml.matches("<error ").count(),
            "{name}"
        );
        assert_eq!(xml.matches(" file=\"").count(), cases, "{name}");
        assert_eq!(
            xml.matches("<error ").count() > 0,
            j.status.code() == Some(2),
            "{name}: input errors are <error>s: {xml}"
        );
    }
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/sarif-schema-2.1.0.json");
    let check = Command::new("python3")
        .arg("-c")
        .arg("import json,sys,jsonschema\nv=jsonschema.Draft4Validator(json.load(open(sys.argv[1])))\nfor f in sys.argv[2:]:\n    try: v.validate(json.load(open(f)))\n    except Exception as e: print(f, e); sys.exit(1)")
        .arg(&schema)
        .args(&files)
        .output()
        .expect("python3 with the `jsonschema` package is needed (pip install jsonschema)");
    assert!(
        check.status.success(),
        "SARIF does not validate: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    std::fs::remove_dir_all(&scratch).ok();
}

fn lint_to(stdout: impl Into<std::process::Stdio>, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .arg("lint")
        .args(args)
        .stdout(stdout)
        .output()
        .expect("run fdcs-policy")
}

/// `lint --format json ... | head -c 10`, as `check` does it: a reader that
/// went away is no error, so nothing on stderr and exit 0 (the read end is
/// closed before lint writes: the broken pipe is certain).
#[test]
fn a_closed_stdout_pipe_exits_quietly() {
    for format in ["json", "text", "sarif"] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = lint_to(writer, &["--format", format, "tests/compose/cadvisor"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{format}: {err}");
        assert_eq!(err, "", "{format}");
    }
}

/// A report that cannot be written (a full disk) is exit 2 and says so:
/// a CI step must not pass on a SARIF file that was never written.
#[test]
fn a_stdout_that_cannot_be_written_is_exit_2_with_a_message() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full on this system
    };
    let o = lint_to(
        full,
        &["--format", "sarif", "tests/compose/clean-hardened-v3"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot write to stdout: No space left on device"),
        "{err}"
    );
}
