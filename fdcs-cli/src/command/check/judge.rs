//! The judge loop: ask the core, answer its obligations from the state
//! file, ask again — what `serve` does with the engine, done offline.

use crate::state::State;
use fdcs_policy::{judge, Facts, Obligation, Policy, Request, Tenant, Verdict};

/// Judging rounds before giving up, as `serve` does: the core asks one
/// targeted lookup per round (up to three per reference); a core that keeps
/// asking after every fact was given is reported, not looped on.
const MAX_ROUNDS: usize = 32;

/// The final verdict for one request and every obligation asked on the way.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The last verdict; `Need` when obligations stayed unanswered.
    pub(crate) verdict: Verdict,
    /// Every obligation the core asked for, in order, without repeats.
    pub(crate) obligations: Vec<Obligation>,
}

impl Outcome {
    pub(crate) fn is_denied(&self) -> bool {
        matches!(self.verdict, Verdict::Deny(_))
    }
}

/// Judges `req`, answering obligations from `state` when given.
pub(crate) fn judge_with_state(
    policy: &Policy,
    tenant: &Tenant,
    req: &Request,
    state: Option<&State>,
) -> Outcome {
    let mut facts = Facts::default();
    let mut asked: Vec<Obligation> = Vec::new();
    let mut verdict = judge(policy, tenant, req, &facts);
    for _ in 0..MAX_ROUNDS {
        let Verdict::Need(obls) = &verdict else { break };
        for o in obls {
            if !asked.contains(o) {
                asked.push(o.clone());
            }
        }
        let Some(state) = state else { break };
        let mut learned = false;
        for o in obls {
            learned |= state.answer(&tenant.id, o, &mut facts);
        }
        if !learned {
            // asked again for what it was told: stop and show the question
            break;
        }
        verdict = judge(policy, tenant, req, &facts);
    }
    Outcome {
        verdict,
        obligations: asked,
    }
}
