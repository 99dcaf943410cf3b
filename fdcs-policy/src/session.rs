//! One conversation between the core and the engine about one request:
//! judge, ask for what is missing, take the answers, judge again.
//!
//! The core owns the conversation so that every adapter holds it the same
//! way — `serve` asking the engine, `check` asking a state file, `lint` and
//! `test` knowing the answers already. It is sans-IO: [`Session::step`]
//! says what to ask, the adapter answers into [`Session::facts_mut`] however
//! it can (async, over HTTP, from a file) and steps again. The session
//! bounds the rounds, never asks the same question twice, and fails closed
//! when the core keeps asking after it was told.
//!
//! ```
//! use fdcs_policy::{Policy, Request, Session, Step, Tenant, TenantId, Verdict};
//!
//! let policy = Policy::embedded_default().unwrap();
//! let alpha = Tenant::new(TenantId::new("alpha").unwrap());
//! let req = Request::new("POST", "/v1.41/containers/web/stop", Vec::new());
//! let mut session = Session::new(&policy, &alpha, &req);
//! let Step::Ask(questions) = session.step() else { panic!() };
//! // an adapter answers each question (here: the tenant owns nothing)
//! for q in &questions {
//!     if let fdcs_policy::Obligation::Lookup(l) = q {
//!         session.facts_mut().lookups.insert(l.clone(), Vec::new());
//!     }
//! }
//! let Step::Decided(Verdict::Deny(d)) = session.step() else { panic!() };
//! assert_eq!(d.message, "No such container: web");
//! ```

use crate::{judge, Denial, Facts, Obligation, Policy, Request, Tenant, Verdict};

/// How many rounds a session allows by default: each round is one
/// targeted question (a reference costs one to three), so this also bounds
/// the engine calls one request can cause.
pub const DEFAULT_MAX_ROUNDS: usize = 32;

/// What to do next.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per round, moved once; boxing would allocate for every decision"
)]
pub enum Step {
    /// The answer; `Verdict::Need` only when the adapter stopped answering
    /// (see [`Session::unanswered`]).
    Decided(Verdict),
    /// Answer these (never asked before) into [`Session::facts_mut`], then
    /// step again.
    Ask(Vec<Obligation>),
}

/// One request's conversation.
#[derive(Debug)]
pub struct Session<'a> {
    policy: &'a Policy,
    tenant: &'a Tenant,
    request: &'a Request,
    facts: Facts,
    asked: Vec<Obligation>,
    rounds: usize,
    max_rounds: usize,
}

impl<'a> Session<'a> {
    /// A session that knows nothing yet.
    pub fn new(policy: &'a Policy, tenant: &'a Tenant, request: &'a Request) -> Self {
        Session {
            policy,
            tenant,
            request,
            facts: Facts::default(),
            asked: Vec::new(),
            rounds: 0,
            max_rounds: DEFAULT_MAX_ROUNDS,
        }
    }

    /// Starts from facts the adapter already knows (`lint` knows what a
    /// compose project creates).
    pub fn with_facts(mut self, facts: Facts) -> Self {
        self.facts = facts;
        self
    }

    /// Bounds the rounds (at least one).
    pub fn with_max_rounds(mut self, max: usize) -> Self {
        self.max_rounds = max.max(1);
        self
    }

    /// Judges with what is known: the verdict, or the questions to answer.
    pub fn step(&mut self) -> Step {
        let verdict = judge(self.policy, self.tenant, self.request, &self.facts);
        let Verdict::Need(obligations) = verdict else {
            return Step::Decided(verdict);
        };
        let new: Vec<Obligation> = obligations
            .iter()
            .filter(|o| !self.asked.contains(o))
            .cloned()
            .collect();
        if new.is_empty() || self.rounds >= self.max_rounds {
            // asked again for what it was told, or too many questions
            return Step::Decided(Verdict::Deny(undecided()));
        }
        self.rounds += 1;
        self.asked.extend(new.iter().cloned());
        Step::Ask(new)
    }

    /// Where the answers go.
    pub fn facts_mut(&mut self) -> &mut Facts {
        &mut self.facts
    }

    /// Every question asked so far, in order, without repeats.
    pub fn asked(&self) -> &[Obligation] {
        &self.asked
    }

    /// The verdict for an adapter that cannot answer `questions`: what the
    /// core needs, as data (`check` without a state file prints it).
    pub fn unanswered(questions: Vec<Obligation>) -> Verdict {
        Verdict::Need(questions)
    }

    /// Runs the whole conversation with an adapter that answers at once.
    pub fn run<A: Answer>(
        mut self,
        answers: &mut A,
    ) -> Result<(Verdict, Vec<Obligation>), A::Error> {
        loop {
            match self.step() {
                Step::Decided(v) => return Ok((v, self.asked)),
                Step::Ask(questions) => {
                    let mut learned = false;
                    for q in &questions {
                        learned |= answers.answer(self.tenant, q, &mut self.facts)?;
                    }
                    if !learned {
                        return Ok((Session::unanswered(questions), self.asked));
                    }
                }
            }
        }
    }
}

/// An adapter that answers the core's questions synchronously (ripgrep's
/// `Sink` is the model: the seam through which the outside world speaks).
pub trait Answer {
    /// Why an answer could not be given.
    type Error;
    /// Answers one question into `facts`; `Ok(false)` when it cannot (the
    /// session then ends with the question as the verdict).
    fn answer(
        &mut self,
        tenant: &Tenant,
        question: &Obligation,
        facts: &mut Facts,
    ) -> Result<bool, Self::Error>;
}

/// An adapter that knows nothing beyond the facts the session started
/// with (`lint`, `test`): a question ends the session as its verdict.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAnswers;

impl Answer for NoAnswers {
    type Error = std::convert::Infallible;
    fn answer(&mut self, _: &Tenant, _: &Obligation, _: &mut Facts) -> Result<bool, Self::Error> {
        Ok(false)
    }
}

/// The denial for a conversation that did not end.
fn undecided() -> Denial {
    Denial::policy(
        crate::RuleId::JUDGE_UNDECIDED,
        "the policy could not decide on this request after too many engine lookups",
        "nothing was forwarded; name fewer resources in one request, or report this to the operator",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]
    use super::*;
    use crate::TenantId;

    struct Nothing;
    impl Answer for Nothing {
        type Error = ();
        fn answer(&mut self, _: &Tenant, q: &Obligation, f: &mut Facts) -> Result<bool, ()> {
            match q {
                Obligation::Lookup(l) => {
                    f.lookups.insert(l.clone(), Vec::new());
                    Ok(true)
                }
                _ => Ok(false),
            }
        }
    }

    /// Answers, but never what was asked: the core keeps asking.
    struct Liar;
    impl Answer for Liar {
        type Error = ();
        fn answer(&mut self, _: &Tenant, _: &Obligation, _: &mut Facts) -> Result<bool, ()> {
            Ok(true)
        }
    }

    fn setup() -> (Policy, Tenant) {
        (
            Policy::embedded_default().unwrap(),
            Tenant::new(TenantId::new("alpha").unwrap()),
        )
    }

    #[test]
    fn a_reference_the_tenant_does_not_own_ends_as_the_daemons_not_found() {
        let (p, t) = setup();
        let req = Request::new("POST", "/v1.41/containers/cafe/stop", Vec::new());
        let (v, asked) = Session::new(&p, &t, &req).run(&mut Nothing).unwrap();
        assert!(matches!(v, Verdict::Deny(d) if d.status == 404));
        // the name, then the id prefix: two questions, each asked once
        assert_eq!(asked.len(), 2);
    }

    #[test]
    fn a_core_that_keeps_asking_is_refused_not_looped_on() {
        let (p, t) = setup();
        let req = Request::new("POST", "/v1.41/containers/web/stop", Vec::new());
        let (v, asked) = Session::new(&p, &t, &req).run(&mut Liar).unwrap();
        assert!(matches!(v, Verdict::Deny(d) if d.rule.as_deref() == Some("judge.undecided")));
        assert_eq!(asked.len(), 1);
    }

    #[test]
    fn rounds_are_bounded() {
        let (p, t) = setup();
        let req = Request::new("POST", "/v1.41/containers/cafe/stop", Vec::new());
        let (v, _) = Session::new(&p, &t, &req)
            .with_max_rounds(1)
            .run(&mut Nothing)
            .unwrap();
        assert!(matches!(v, Verdict::Deny(d) if d.rule.as_deref() == Some("judge.undecided")));
    }
}
