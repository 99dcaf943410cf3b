//! The engine's side of the conversation, from memory: answers captured
//! from dockerd 20.10 (`benches/fixtures/`, alpha's `web` container, its
//! network `alpha_bridge`, the busybox image), so that the benches judge
//! with the facts a real engine gives (quota usage, the image's declared
//! ports, ownership) instead of with none. Shared by `judge.rs` and
//! `allocs.rs` (`#[path]` module).

use fdcs_policy::{Facts, Obligation, Policy, Request, Session, Step, Tenant, Verdict};

const CONTAINER: &str = include_str!("fixtures/engine-inspect-container.json");
const LIST_ENTRY: &str = include_str!("fixtures/engine-list-entry.json");
const NETWORK: &str = include_str!("fixtures/engine-inspect-network.json");
const IMAGE: &str = include_str!("fixtures/engine-inspect-image.json");
const CREATED: &str =
    r#"{"Id":"280c010000000000000000000000000000000000000000000000000000000000","Warnings":[]}"#;
const MISSING: &str = r#"{"message":"No such object"}"#;

/// What the fake engine answers: status, body, content type.
pub(crate) struct Reply<'a> {
    pub(crate) status: u16,
    pub(crate) body: &'a [u8],
    #[allow(dead_code, reason = "read by allocs.rs; judge.rs reads no headers")]
    pub(crate) content_type: &'static str,
}

/// The answers, with alpha's container list of `list_len` containers
/// (`alpha_web` and `alpha_c0001`...; every one labelled alpha's).
pub(crate) struct EngineFixtures {
    list: Vec<u8>,
    networks: Vec<u8>,
}

impl EngineFixtures {
    pub(crate) fn new(list_len: usize) -> Self {
        let entry: serde_json::Value = serde_json::from_str(LIST_ENTRY).unwrap_or_default();
        let entry = entry.get(0).cloned().unwrap_or_default();
        let mut list = vec![entry.clone()];
        for i in 1..list_len {
            let mut e = entry.clone();
            e["Id"] = format!("{i:064x}").into();
            e["Names"] = serde_json::json!([format!("/alpha_c{i:04}")]);
            list.push(e);
        }
        EngineFixtures {
            list: serde_json::to_vec(&list).unwrap_or_default(),
            // the owner-filtered network list: alpha's network
            networks: format!("[{}]", NETWORK.trim()).into_bytes(),
        }
    }

    /// The engine's answer to `method target` (with or without `/v1.41`).
    pub(crate) fn reply(&self, method: &str, target: &str) -> Reply<'_> {
        let json = |status, body: &'static str| Reply {
            status,
            body: body.as_bytes(),
            content_type: "application/json",
        };
        let path = target.split('?').next().unwrap_or_default();
        let path = path.strip_prefix("/v1.41").unwrap_or(path);
        match (method, path) {
            (_, "/_ping") => Reply {
                status: 200,
                body: b"OK",
                content_type: "text/plain; charset=utf-8",
            },
            ("GET", "/containers/json") => Reply {
                status: 200,
                body: &self.list,
                content_type: "application/json",
            },
            ("GET", "/containers/alpha_web/json") => json(200, CONTAINER),
            ("GET", p) if p.starts_with("/containers/") && p.ends_with("/json") => {
                json(404, MISSING)
            }
            ("GET", "/networks") => Reply {
                status: 200,
                body: &self.networks,
                content_type: "application/json",
            },
            ("GET", "/volumes") => json(200, r#"{"Volumes":[],"Warnings":null}"#),
            ("GET", p) if p.starts_with("/networks/alpha") => json(200, NETWORK),
            ("GET", p) if p.starts_with("/images/") && p.ends_with("/json") => json(200, IMAGE),
            ("POST", "/containers/create") => json(201, CREATED),
            // the tenant's network exists: the prelude that would create it
            // is answered as dockerd answers `CheckDuplicate`
            ("POST", "/networks/create") => json(
                409,
                r#"{"message":"network with name alpha_bridge already exists"}"#,
            ),
            _ => json(200, "{}"),
        }
    }

    /// Runs `request`'s whole conversation against these answers (each
    /// question asked as the tower asks it, each answer read by
    /// `Facts::learn`): the final verdict and the facts it was judged with;
    /// the engine calls made go to `calls` when given.
    pub(crate) fn converse(
        &self,
        policy: &Policy,
        tenant: &Tenant,
        request: &Request,
        mut calls: Option<&mut Vec<String>>,
    ) -> (Verdict, Facts) {
        let mut session = Session::new(policy, tenant, request);
        loop {
            match session.step() {
                Step::Decided(v) => return (v, std::mem::take(session.facts_mut())),
                Step::Ask(questions) => {
                    for q in &questions {
                        self.answer(tenant, q, session.facts_mut(), calls.as_deref_mut());
                    }
                }
            }
        }
    }

    fn answer(
        &self,
        tenant: &Tenant,
        q: &Obligation,
        facts: &mut Facts,
        mut calls: Option<&mut Vec<String>>,
    ) {
        let Some(mut query) = q.engine_query(&tenant.id) else {
            facts.learn_absent(&tenant.id, q);
            return;
        };
        let mut r = self.reply("GET", &query.target);
        if let Some(c) = calls.as_deref_mut() {
            c.push(format!("GET {} -> {}", query.target, r.status));
        }
        if let Some(instead) = query.instead(r.status) {
            query = instead;
            r = self.reply("GET", &query.target);
            if let Some(c) = calls.as_deref_mut() {
                c.push(format!("GET {} -> {}", query.target, r.status));
            }
        }
        if let Err(e) = facts.learn(&tenant.id, q, &query, r.status, r.body) {
            if let Some(c) = calls {
                c.push(format!("unreadable: {e}"));
            }
        }
    }
}
