//! The judge loop: ask the core, answer its obligations from the state
//! file, ask again — what `serve` does with the engine, done offline.

use super::state::State;
use fdcs_policy::{Answer, Facts, Obligation, Policy, Request, Session, Tenant, Verdict};

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

/// The state file (if any) as the core's source of answers.
struct StateAnswers<'s>(Option<&'s State>);

impl Answer for StateAnswers<'_> {
    type Error = std::convert::Infallible;
    fn answer(
        &mut self,
        tenant: &Tenant,
        question: &Obligation,
        facts: &mut Facts,
    ) -> Result<bool, Self::Error> {
        Ok(self
            .0
            .is_some_and(|s| s.answer(&tenant.id, question, facts)))
    }
}

/// Judges `req`, answering obligations from `state` when given.
pub(crate) fn judge_with_state(
    policy: &Policy,
    tenant: &Tenant,
    req: &Request,
    state: Option<&State>,
) -> Outcome {
    let mut session = Session::new(policy, tenant, req).with_max_rounds(MAX_ROUNDS);
    match state {
        None => session = session.with_facts(Facts::offline()),
        // a state file from before images were listed: judged as before,
        // on the body alone
        Some(s) if !s.knows_images() => {
            session = session.with_facts(Facts {
                images_unknown: true,
                ..Facts::default()
            });
        }
        Some(_) => {}
    }
    let Ok((verdict, obligations)) = session.run(&mut StateAnswers(state));
    Outcome {
        verdict,
        obligations,
    }
}
