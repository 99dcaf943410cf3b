//! Generated requests: every route of the daemon's own table in many
//! spellings, and bodies mutated the ways Go's decoder is known to read
//! differently from a naive one (case-folded and duplicate keys, nulls,
//! legacy top-level HostConfig fields, numbers at the edges, invalid UTF-8
//! and unpaired surrogates, very deep nesting).

use serde_json::Value;

/// A JSON text built piece by piece, so that it can hold what a
/// `serde_json::Value` cannot: duplicate keys, raw bytes, number spellings.
#[derive(Debug, Clone)]
pub(crate) enum J {
    Null,
    Bool(bool),
    /// A number, spelled as given.
    Num(String),
    Str(String),
    /// Bytes written as they are (a quoted string with odd escapes,
    /// invalid UTF-8...).
    Raw(Vec<u8>),
    Arr(Vec<J>),
    /// Keys are `J::Str` or `J::Raw`.
    Obj(Vec<(J, J)>),
}

impl J {
    pub(crate) fn from_value(v: &Value) -> J {
        match v {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => J::Num(n.to_string()),
            Value::String(s) => J::Str(s.clone()),
            Value::Array(a) => J::Arr(a.iter().map(J::from_value).collect()),
            Value::Object(m) => J::Obj(
                m.iter()
                    .map(|(k, v)| (J::Str(k.clone()), J::from_value(v)))
                    .collect(),
            ),
        }
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            J::Null => out.extend_from_slice(b"null"),
            J::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            J::Num(n) => out.extend_from_slice(n.as_bytes()),
            J::Str(s) => out.extend_from_slice(Value::from(s.as_str()).to_string().as_bytes()),
            J::Raw(r) => out.extend_from_slice(r),
            J::Arr(a) => {
                out.push(b'[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    v.write(out);
                }
                out.push(b']');
            }
            J::Obj(m) => {
                out.push(b'{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    k.write(out);
                    out.push(b':');
                    v.write(out);
                }
                out.push(b'}');
            }
        }
    }

    pub(crate) fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn map_keys(&self, f: &dyn Fn(&str) -> String) -> J {
        match self {
            J::Arr(a) => J::Arr(a.iter().map(|v| v.map_keys(f)).collect()),
            J::Obj(m) => J::Obj(
                m.iter()
                    .map(|(k, v)| {
                        let k = match k {
                            J::Str(s) => J::Str(f(s)),
                            other => other.clone(),
                        };
                        (k, v.map_keys(f))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// A value of the same type, changed (for a duplicate key's second value).
fn changed(v: &J) -> J {
    match v {
        J::Null => J::Bool(true),
        J::Bool(b) => J::Bool(!b),
        J::Num(n) => J::Num(if n == "1" { "2".into() } else { "1".into() }),
        J::Str(s) => J::Str(format!("{s}x")),
        J::Arr(a) => J::Arr(a.iter().rev().cloned().collect()),
        J::Obj(m) => J::Obj(m.iter().map(|(k, v)| (k.clone(), changed(v))).collect()),
        J::Raw(r) => J::Raw(r.clone()),
    }
}

/// Object nodes up to `depth` levels down, as paths of key indices.
fn object_paths(j: &J, depth: usize, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    if let J::Obj(m) = j {
        out.push(here.clone());
        if depth == 0 {
            return;
        }
        for (i, (_, v)) in m.iter().enumerate() {
            here.push(i);
            object_paths(v, depth - 1, here, out);
            here.pop();
        }
    }
}

fn at_mut<'a>(j: &'a mut J, path: &[usize]) -> &'a mut J {
    match (j, path.split_first()) {
        (J::Obj(m), Some((&i, rest))) => at_mut(&mut m[i].1, rest),
        (j, _) => j,
    }
}

/// The mutations of one body: key folds, duplicates, nulls.
pub(crate) fn mutations(body: &Value) -> Vec<(String, Vec<u8>)> {
    let base = J::from_value(body);
    let mut out = Vec::new();
    type Fold<'a> = (&'a str, &'a dyn Fn(&str) -> String);
    let folds: [Fold<'_>; 4] = [
        ("lower", &|k: &str| k.to_lowercase()),
        ("upper", &|k: &str| k.to_uppercase()),
        ("kelvin", &|k: &str| {
            k.replace(['k', 'K'], "\u{212A}")
                .replace(['s', 'S'], "\u{17F}")
        }),
        // an escaped first letter: the same key to Go once unescaped
        ("escaped", &|k: &str| k.to_string()),
    ];
    for (name, f) in folds {
        let j = if name == "escaped" {
            escape_first_letters(&base)
        } else {
            base.map_keys(f)
        };
        out.push((format!("fold-{name}"), j.bytes()));
    }
    let mut paths = Vec::new();
    object_paths(&base, 2, &mut Vec::new(), &mut paths);
    for p in &paths {
        let mut j = base.clone();
        let J::Obj(m) = at_mut(&mut j, p) else {
            continue;
        };
        let n = m.len();
        for i in 0..n {
            // the same key again (exact, then lower case) with another value
            for (tag, fold) in [("exact", false), ("folded", true)] {
                let mut j2 = j.clone();
                let J::Obj(m2) = at_mut(&mut j2, p) else {
                    continue;
                };
                let (k, v) = m2[i].clone();
                let k2 = match (&k, fold) {
                    (J::Str(s), true) => J::Str(s.to_lowercase()),
                    _ => k.clone(),
                };
                m2.push((k2, changed(&v)));
                out.push((format!("dup-{tag}-{p:?}-{i}"), j2.bytes()));
            }
            // null in place of the value
            let mut j3 = j.clone();
            if let J::Obj(m3) = at_mut(&mut j3, p) {
                m3[i].1 = J::Null;
            }
            out.push((format!("null-{p:?}-{i}"), j3.bytes()));
            // null before the value, for the top level only (Go: a no-op)
            if p.is_empty() {
                let mut j4 = j.clone();
                if let J::Obj(m4) = at_mut(&mut j4, p) {
                    let k = m4[i].0.clone();
                    m4.insert(i, (k, J::Null));
                }
                out.push((format!("null-before-{i}"), j4.bytes()));
            }
        }
    }
    out
}

/// Every object key with its first ASCII letter written as `\u00XX`.
fn escape_first_letters(j: &J) -> J {
    match j {
        J::Arr(a) => J::Arr(a.iter().map(escape_first_letters).collect()),
        J::Obj(m) => J::Obj(
            m.iter()
                .map(|(k, v)| {
                    let k = match k {
                        J::Str(s) if s.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                            let rest = Value::from(&s[1..]).to_string();
                            J::Raw(
                                format!("\"\\u{:04x}{}", u32::from(s.as_bytes()[0]), &rest[1..])
                                    .into_bytes(),
                            )
                        }
                        other => other.clone(),
                    };
                    (k, escape_first_letters(v))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Moves a create body's `HostConfig` members to the top level (the legacy
/// placement), and variants that mix both placements.
pub(crate) fn legacy(body: &Value) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Some(obj) = body.as_object() else {
        return out;
    };
    let Some(hc) = obj.get("HostConfig").and_then(Value::as_object) else {
        return out;
    };
    let mut top = obj.clone();
    top.remove("HostConfig");
    let mut moved = top.clone();
    for (k, v) in hc {
        moved.insert(k.clone(), v.clone());
    }
    out.push((
        "legacy-moved".into(),
        Value::Object(moved.clone()).to_string().into_bytes(),
    ));
    // each member also at the top level, next to the object
    for (k, v) in hc {
        let mut both = obj.clone();
        both.insert(k.clone(), v.clone());
        out.push((
            format!("legacy-both-{k}"),
            Value::Object(both).to_string().into_bytes(),
        ));
    }
    // the top-level Cpuset, with and without a host config
    let mut cpuset = moved;
    cpuset.insert("Cpuset".into(), Value::from("0"));
    out.push((
        "legacy-cpuset".into(),
        Value::Object(cpuset).to_string().into_bytes(),
    ));
    let mut cpuset = obj.clone();
    cpuset.insert("Cpuset".into(), Value::from("0-1"));
    out.push((
        "legacy-cpuset-object".into(),
        Value::Object(cpuset).to_string().into_bytes(),
    ));
    out
}

/// Number spellings at the edges of Go's integer types.
pub(crate) const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "1e3",
    "1E3",
    "1.0",
    "1.5",
    "-1.5",
    "0.0",
    "1e-3",
    "127",
    "128",
    "255",
    "256",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "1e400",
    "00",
    "01",
    "+1",
    ".5",
    "0x10",
    "1_000",
];

/// Numeric fields of a create body (JSON pointer into the body), by Go type.
pub(crate) const CREATE_NUMBERS: &[&str] = &[
    "/HostConfig/Memory",                          // int64
    "/HostConfig/CpuShares",                       // int64
    "/HostConfig/NanoCpus",                        // int64
    "/HostConfig/PidsLimit",                       // *int64
    "/HostConfig/MemorySwappiness",                // *int64
    "/HostConfig/BlkioWeight",                     // uint16
    "/HostConfig/OomScoreAdj",                     // int
    "/HostConfig/CpuPeriod",                       // int64
    "/HostConfig/ShmSize",                         // int64
    "/HostConfig/RestartPolicy/MaximumRetryCount", // int
    "/HostConfig/ConsoleSize/0",                   // uint
    "/StopTimeout",                                // *int
    "/Healthcheck/Interval",                       // time.Duration
    "/Healthcheck/Retries",                        // int
];

/// Sets the value at a JSON pointer (creating objects; an index into a
/// two-element array), as raw number text.
pub(crate) fn with_number(base: &Value, pointer: &str, number: &str) -> Vec<u8> {
    let mut j = J::from_value(base);
    let keys: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    set(&mut j, &keys, J::Num(number.to_string()));
    j.bytes()
}

fn set(j: &mut J, keys: &[&str], v: J) {
    let Some((first, rest)) = keys.split_first() else {
        *j = v;
        return;
    };
    if let Ok(i) = first.parse::<usize>() {
        if !matches!(j, J::Arr(_)) {
            *j = J::Arr(vec![J::Num("0".into()), J::Num("0".into())]);
        }
        if let J::Arr(a) = j {
            if let Some(slot) = a.get_mut(i) {
                set(slot, rest, v);
            }
        }
        return;
    }
    if !matches!(j, J::Obj(_)) {
        *j = J::Obj(Vec::new());
    }
    if let J::Obj(m) = j {
        let key = J::Str((*first).to_string());
        let pos = m
            .iter()
            .position(|(k, _)| matches!(k, J::Str(s) if s == first));
        match pos {
            Some(p) => set(&mut m[p].1, rest, v),
            None => {
                let mut slot = J::Null;
                set(&mut slot, rest, v);
                m.push((key, slot));
            }
        }
    }
}

/// String spellings: escapes, surrogates, invalid UTF-8 (raw JSON string
/// tokens, quotes included).
pub(crate) const STRINGS: &[&[u8]] = &[
    b"\"busybox\"",
    b"\"\\u0062usybox\"",
    b"\"busy\\/box\"",
    b"\"\\ud800\"",
    b"\"a\\ud800b\"",
    b"\"\\udc00\"",
    b"\"\\ud800\\ud800\"",
    b"\"\\ud83d\\ude00\"",
    b"\"\\ud83d\"",
    b"\"\xff\"",
    b"\"a\xc3\"",
    b"\"\xed\xa0\x80\"",
    b"\"\xc0\xaf\"",
    b"\"\xf4\x90\x80\x80\"",
    b"\"\\u0000\"",
    b"\"\x01\"",
    b"\"\\x41\"",
    b"\"\\U0041\"",
    b"\"\\u00e9\"",
    b"\"\xc3\xa9\"",
    b"\"\\uFFFD\"",
    b"\"\xef\xbf\xbd\"",
];

/// Where strings go in a create body: a value, a map key, a list element.
pub(crate) fn with_string(token: &[u8]) -> Vec<(String, Vec<u8>)> {
    let t = String::from_utf8_lossy(token).escape_debug().to_string();
    let raw = |parts: &[&[u8]]| parts.concat();
    vec![
        (
            format!("string-image {t}"),
            raw(&[b"{\"Image\":", token, b"}"]),
        ),
        (
            format!("string-label-key {t}"),
            raw(&[b"{\"Image\":\"busybox\",\"Labels\":{", token, b":\"v\"}}"]),
        ),
        (
            format!("string-label-value {t}"),
            raw(&[b"{\"Image\":\"busybox\",\"Labels\":{\"k\":", token, b"}}"]),
        ),
        (
            format!("string-env {t}"),
            raw(&[b"{\"Image\":\"busybox\",\"Env\":[", token, b"]}"]),
        ),
        (
            format!("string-field-key {t}"),
            raw(&[b"{\"Image\":\"busybox\",", token, b":1}"]),
        ),
        (
            format!("string-binds {t}"),
            raw(&[
                b"{\"Image\":\"busybox\",\"HostConfig\":{\"Binds\":[",
                token,
                b"]}}",
            ]),
        ),
    ]
}

/// Deep nesting in several places of a create body.
pub(crate) fn nesting() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for depth in [2usize, 32, 100, 128, 129, 1000, 10_000, 10_001, 100_000] {
        let arr = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let obj = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        out.push((
            format!("deep-unknown-array-{depth}"),
            format!("{{\"Image\":\"busybox\",\"X\":{arr}}}").into_bytes(),
        ));
        out.push((
            format!("deep-unknown-object-{depth}"),
            format!("{{\"Image\":\"busybox\",\"X\":{obj}}}").into_bytes(),
        ));
        out.push((
            format!("deep-label-{depth}"),
            format!("{{\"Image\":\"busybox\",\"Labels\":{{\"a\":{arr}}}}}").into_bytes(),
        ));
        out.push((
            format!("deep-cmd-{depth}"),
            format!("{{\"Image\":\"busybox\",\"Cmd\":[{arr}]}}").into_bytes(),
        ));
        out.push((
            format!("deep-null-field-{depth}"),
            format!("{{\"Image\":\"busybox\",\"X\":{arr},\"X\":null}}").into_bytes(),
        ));
    }
    out
}

/// Bodies that are not one plain object, and type confusions.
pub(crate) const SHAPES: &[&[u8]] = &[
    b"",
    b" ",
    b"\n",
    b"null",
    b"[]",
    b"{}",
    b"\"x\"",
    b"1",
    b"true",
    b"{} x",
    b"{}{}",
    b"{\"Image\":\"a\"}{\"Image\":\"b\"}",
    b"{\"Image\":\"a\"} {\"HostConfig\":{\"Privileged\":true}}",
    b"{\"Image\":\"a\"}]",
    b"\xef\xbb\xbf{\"Image\":\"a\"}",
    b"{\"Image\":\"a\",}",
    b"{\"Image\":\"a\"",
    b"{'Image':'a'}",
    b"{\"Image\":\"a\" /* c */}",
    b"{\"Image\":\"a\"}\x00",
    b"\t{\"Image\":\"a\"}\r\n",
    b"{\"\":1,\"Image\":\"a\"}",
    b"{\"\":null,\"Image\":\"a\"}",
    b"{\"Image\":null}",
    b"{\"Image\":\"a\",\"Image\":null}",
    b"{\"Image\":null,\"Image\":\"a\"}",
    b"{\"Image\":1}",
    b"{\"Image\":[\"a\"]}",
    b"{\"Cmd\":\"ls\",\"Image\":\"a\"}",
    b"{\"Cmd\":[\"ls\",null],\"Image\":\"a\"}",
    b"{\"Cmd\":[1],\"Image\":\"a\"}",
    b"{\"Entrypoint\":\"\",\"Image\":\"a\"}",
    b"{\"Entrypoint\":[],\"Image\":\"a\"}",
    b"{\"Env\":\"A=1\",\"Image\":\"a\"}",
    b"{\"Env\":[],\"Image\":\"a\"}",
    b"{\"Labels\":[],\"Image\":\"a\"}",
    b"{\"Labels\":{\"a\":1},\"Image\":\"a\"}",
    b"{\"Labels\":{\"a\":null},\"Image\":\"a\"}",
    b"{\"Labels\":{\"a\":\"1\",\"a\":\"2\"},\"Image\":\"a\"}",
    b"{\"Labels\":{\"a\":\"1\",\"A\":\"2\"},\"Image\":\"a\"}",
    b"{\"Labels\":{},\"labels\":{\"b\":\"2\"},\"Image\":\"a\"}",
    b"{\"Labels\":{\"a\":\"1\"},\"Labels\":null,\"Image\":\"a\"}",
    b"{\"Volumes\":{\"/data\":{}},\"Image\":\"a\"}",
    b"{\"Volumes\":{\"/data\":null},\"Image\":\"a\"}",
    b"{\"Volumes\":{\"/data\":{\"x\":1}},\"Image\":\"a\"}",
    b"{\"Volumes\":[\"/data\"],\"Image\":\"a\"}",
    b"{\"ExposedPorts\":{\"80/tcp\":{}},\"Image\":\"a\"}",
    b"{\"ExposedPorts\":{\"80\":{}},\"Image\":\"a\"}",
    b"{\"Tty\":\"true\",\"Image\":\"a\"}",
    b"{\"Tty\":1,\"Image\":\"a\"}",
    b"{\"Tty\":null,\"Image\":\"a\"}",
    b"{\"Image\":\"a\",\"HostConfig\":null}",
    b"{\"Image\":\"a\",\"HostConfig\":{}}",
    b"{\"Image\":\"a\",\"HostConfig\":[]}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Privileged\":true},\"HostConfig\":null}",
    b"{\"Image\":\"a\",\"HostConfig\":null,\"HostConfig\":{\"Privileged\":true}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Privileged\":true},\"HostConfig\":{\"Memory\":1}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Privileged\":true},\"hostconfig\":{\"privileged\":false}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[\"/:/h\"]},\"HostConfig\":{\"Binds\":[]}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[\"v:/h\"]},\"HostConfig\":{\"Binds\":null}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/\",\"Target\":\"/h\"}]},\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/v\"}]}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/v\",\"type\":\"bind\",\"Source\":\"/\"}]}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"\"}]},\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"80\"}]}}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"\",\"hostport\":\"80\"}]}}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"PortBindings\":{\"80/tcp\":null}}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[null]}}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"CapAdd\":\"ALL\"}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"CapAdd\":[\"NET_ADMIN\"],\"CapAdd\":null}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"NetworkMode\":\"host\",\"networkmode\":\"bridge\"}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"NetworkMode\":\"\"}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"PidsLimit\":0}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"PidsLimit\":-1}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"PidsLimit\":null}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"OomKillDisable\":false}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Init\":false}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"ConsoleSize\":[1]}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"ConsoleSize\":[1,2,3]}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"ConsoleSize\":null}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"1m\"}}}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"always\"}}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":1,\"Hard\":2}]}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Tmpfs\":{\"/t\":\"size=1m\"}}}",
    b"{\"Image\":\"a\",\"HostConfig\":{\"Sysctls\":{}}}",
    b"{\"Image\":\"a\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"n\":null}}}",
    b"{\"Image\":\"a\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"n\":{}}}}",
    b"{\"Image\":\"a\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"n\":{\"Aliases\":[\"x\"]},\"n\":{\"Links\":[\"y\"]}}}}",
    b"{\"Image\":\"a\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"n\":{\"IPAMConfig\":{\"IPv4Address\":\"10.0.0.2\"}}}}}",
    b"{\"Image\":\"a\",\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],\"Interval\":1000000000}}",
    b"{\"Image\":\"a\",\"Healthcheck\":{\"Test\":\"true\"}}",
    b"{\"Image\":\"a\",\"StopSignal\":\"SIGKILL\",\"StopTimeout\":null}",
    b"{\"Image\":\"a\",\"MacAddress\":\"02:42:ac:11:00:02\"}",
    b"{\"Image\":\"a\",\"OnBuild\":[\"RUN x\"]}",
    b"{\"Image\":\"a\",\"Shell\":\"sh\"}",
    b"{\"Image\":\"a\",\"ArgsEscaped\":true}",
    b"{\"Image\":\"a\",\"NetworkDisabled\":true}",
];

/// Small bodies for the other body routes: their fields, type confusions,
/// duplicates and nulls (the mutations are applied to these too).
pub(crate) const OTHERS: &[(&str, &[u8])] = &[
    ("exec", b"{\"Cmd\":[\"ls\"],\"User\":\"root\",\"Privileged\":false,\"Env\":[\"A=1\"],\"WorkingDir\":\"/\",\"Tty\":true,\"AttachStdout\":true,\"DetachKeys\":\"ctrl-x\"}"),
    ("exec", b"{\"Cmd\":\"ls\"}"),
    ("exec", b"{\"Cmd\":[]}"),
    ("exec", b"{\"Cmd\":[\"ls\"],\"Privileged\":\"true\"}"),
    ("exec", b"{\"Cmd\":[\"ls\"],\"Privileged\":1}"),
    ("exec", b"{\"Cmd\":[\"ls\"],\"Privileged\":true,\"privileged\":false}"),
    ("exec", b"{\"Cmd\":[\"ls\"],\"Privileged\":false,\"PRIVILEGED\":true}"),
    ("exec", b"{\"Cmd\":[\"ls\"],\"ConsoleSize\":[24,80]}"),
    ("exec", b"{\"Cmd\":[\"ls\"],\"Container\":\"web\"}"),
    ("exec", b"{\"Cmd\":[\"ls\"],\"Detach\":true}"),
    ("update", b"{\"Memory\":1048576,\"MemorySwap\":-1,\"CpuShares\":512,\"PidsLimit\":10,\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}}"),
    ("update", b"{\"Memory\":-1}"),
    ("update", b"{\"PidsLimit\":0}"),
    ("update", b"{\"PidsLimit\":-1}"),
    ("update", b"{\"Memory\":1,\"memory\":2}"),
    ("update", b"{\"Privileged\":true}"),
    ("update", b"{\"RestartPolicy\":{\"Name\":\"always\"},\"restartpolicy\":{\"MaximumRetryCount\":1}}"),
    ("update", b"{\"Devices\":[{\"PathOnHost\":\"/dev/sda\",\"PathInContainer\":\"/dev/sda\",\"CgroupPermissions\":\"rwm\"}]}"),
    ("network", b"{\"Name\":\"n\",\"Driver\":\"bridge\",\"CheckDuplicate\":true,\"Internal\":false,\"Attachable\":true,\"Labels\":{\"a\":\"b\"},\"Options\":{\"com.docker.network.bridge.name\":\"x\"}}"),
    ("network", b"{\"Name\":\"n\",\"IPAM\":{\"Driver\":\"default\",\"Config\":[{\"Subnet\":\"10.9.0.0/24\",\"Gateway\":\"10.9.0.1\"}]}}"),
    ("network", b"{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.9.0.0/24\"}]},\"ipam\":{\"Config\":[{\"Subnet\":\"10.8.0.0/24\"}]}}"),
    ("network", b"{\"Name\":\"n\",\"EnableIPv6\":true,\"Ingress\":false,\"Scope\":\"local\",\"ConfigOnly\":false}"),
    ("network", b"{\"Name\":\"n\",\"ConfigFrom\":{\"Network\":\"other\"}}"),
    ("network", b"{\"Name\":\"n\",\"Driver\":\"bridge\",\"driver\":\"macvlan\"}"),
    ("connect", b"{\"Container\":\"web\",\"EndpointConfig\":{\"Aliases\":[\"a\"],\"IPAMConfig\":{\"IPv4Address\":\"10.9.0.5\"}}}"),
    ("connect", b"{\"Container\":\"web\",\"container\":\"db\"}"),
    ("connect", b"{\"Container\":\"web\",\"EndpointConfig\":null}"),
    ("disconnect", b"{\"Container\":\"web\",\"Force\":true}"),
    ("disconnect", b"{\"Container\":\"web\",\"Force\":\"yes\"}"),
    ("volume", b"{\"Name\":\"v\",\"Driver\":\"local\",\"DriverOpts\":{\"type\":\"tmpfs\",\"device\":\"tmpfs\"},\"Labels\":{\"a\":\"b\"}}"),
    ("volume", b"{\"Name\":\"v\",\"DriverOpts\":{\"o\":\"bind\",\"device\":\"/\"}}"),
    ("volume", b"{\"Name\":\"v\",\"DriverOpts\":{\"o\":\"size=1m\",\"O\":\"bind\"}}"),
    ("volume", b"{\"Name\":\"v\",\"name\":\"w\"}"),
    ("volume", b"{\"Name\":\"v\",\"ClusterVolumeSpec\":{\"Group\":\"g\"}}"),
    ("service", b"{\"Name\":\"s\",\"Labels\":{\"a\":\"b\"},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"busybox\",\"Args\":[\"sleep\",\"1\"],\"Env\":[\"A=1\"]},\"Resources\":{\"Limits\":{\"NanoCPUs\":100000000,\"MemoryBytes\":1048576}},\"RestartPolicy\":{\"Condition\":\"none\"}},\"Mode\":{\"Replicated\":{\"Replicas\":1}},\"UpdateConfig\":{\"Parallelism\":1,\"MaxFailureRatio\":0.1}}"),
    ("service", b"{\"Name\":\"s\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"busybox\",\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/\",\"Target\":\"/h\"}]}}}"),
    ("service", b"{\"Name\":\"s\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"busybox\"},\"containerspec\":{\"Image\":\"alpine\"}}}"),
    ("service", b"{\"Name\":\"s\",\"EndpointSpec\":{\"Ports\":[{\"TargetPort\":80,\"PublishedPort\":8080,\"Protocol\":\"tcp\",\"PublishMode\":\"ingress\"}]}}"),
    ("service", b"{\"Name\":\"s\",\"UpdateConfig\":{\"MaxFailureRatio\":1e-1,\"Delay\":1e9}}"),
    ("secret", b"{\"Name\":\"s\",\"Data\":\"aGk=\",\"Labels\":{\"a\":\"b\"}}"),
    ("secret", b"{\"Name\":\"s\",\"Data\":\"aGk\"}"),
    ("secret", b"{\"Name\":\"s\",\"Data\":\"aG\\nk=\"}"),
    ("secret", b"{\"Name\":\"s\",\"Data\":\"!!\"}"),
    ("secret", b"{\"Name\":\"s\",\"Data\":\"aGl=\"}"),
    ("secret", b"{\"Name\":\"s\",\"Data\":\"aGk=\\r\\n\"}"),
    ("secret", b"{\"Name\":\"s\",\"Data\":\"aGk==\"}"),
    ("secret", b"{\"Name\":\"s\",\"Data\":\"\"}"),
    ("secret", b"{\"Name\":\"s\",\"Data\":\"aGk=\",\"Driver\":{\"Name\":\"vault\"}}"),
    ("config", b"{\"Name\":\"c\",\"Data\":\"aGk=\"}"),
    ("config", b"{\"Name\":\"c\",\"Data\":\"aGk=\",\"data\":\"aG8=\"}"),
    ("auth", b"{\"username\":\"u\",\"password\":\"p\",\"serveraddress\":\"https://index.docker.io/v1/\"}"),
    ("auth", b"{\"Username\":\"u\",\"USERNAME\":\"v\",\"password\":\"p\"}"),
];

/// The target a body route is sent to.
pub(crate) fn target(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "create" => ("POST", "/v1.41/containers/create?name=web"),
        "update" => ("POST", "/v1.41/containers/web/update"),
        "exec" => ("POST", "/v1.41/containers/web/exec"),
        "network" => ("POST", "/v1.41/networks/create"),
        "connect" => ("POST", "/v1.41/networks/net/connect"),
        "disconnect" => ("POST", "/v1.41/networks/net/disconnect"),
        "volume" => ("POST", "/v1.41/volumes/create"),
        "service" => ("POST", "/v1.41/services/create"),
        "service-update" => ("POST", "/v1.41/services/web/update?version=1"),
        "secret" => ("POST", "/v1.41/secrets/create"),
        "config" => ("POST", "/v1.41/configs/create"),
        "auth" => ("POST", "/v1.41/auth"),
        other => panic!("no target for {other}"),
    }
}

/// Version prefixes to try every route with.
pub(crate) const PREFIXES: &[&str] = &[
    "",
    "/v1.41",
    "/v1.24",
    "/v1.25",
    "/v1.12",
    "/v1.11",
    "/v1.23",
    "/v1.40",
    "/v1.42",
    "/v1.51",
    "/v1.52",
    "/v2.0",
    "/v1",
    "/v1.41.0",
    "/v01.41",
    "/v1.041",
    "/V1.41",
    "/v1.",
    "/v.41",
    "/v",
    "/v1..41",
    "/v9999999999.1",
];

/// Methods to try every route with.
pub(crate) const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "get", "Post",
];

/// Spellings of one concrete path (under `/v1.41`): the daemon's router
/// decodes, cleans and redirects; fdcs accepts one canonical spelling.
pub(crate) fn spellings(path: &str) -> Vec<String> {
    let mut out = vec![
        format!("{path}/"),
        format!("/{path}"),
        path.replacen('/', "//", 2),
        path.replacen('/', "/./", 2),
        format!("/x/..{path}"),
        format!("{path}?x=1"),
        format!("{path}#f"),
        path.replace('_', "%5F").replace('_', "%5f"),
        path.to_uppercase(),
    ];
    let segs: Vec<&str> = path.split('/').collect();
    // each segment percent-encoded in a few ways
    for (i, s) in segs.iter().enumerate().skip(1) {
        if s.is_empty() {
            continue;
        }
        let first = s.as_bytes().first().copied().unwrap_or(b'x');
        for rep in [
            format!("%{first:02X}{}", &s[1..]),
            format!("%{first:02x}{}", &s[1..]),
            format!("{s}%2Fx"),
            format!("{s}%2fx"),
            format!("{s}/x"),
            format!("x%2F{s}"),
            format!("{s}%00"),
            format!("{s}%20"),
            format!("{s}%25"),
            format!("{s}%"),
            format!("{s}%zz"),
            format!("{s}\\x"),
            format!("{s};x"),
            format!("{s}:x"),
            format!("{s}@x"),
            "%2E%2E".to_string(),
            "..".to_string(),
            ".".to_string(),
            String::new(),
        ] {
            let mut v = segs.clone();
            v[i] = &rep;
            out.push(v.join("/"));
        }
    }
    out
}
