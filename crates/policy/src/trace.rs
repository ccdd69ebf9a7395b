//! Recording the steps of a decision for [`Policy::explain`](crate::Policy::explain),
//! at no cost to [`Policy::decide`](crate::Policy::decide).

use crate::{Decision, Explanation, Step};

/// Receives the steps of an evaluation. The closures run only when recording, so the
/// non-recording path compiles to nothing.
pub(crate) trait Trace {
    fn step(&mut self, step: impl FnOnce() -> (String, String, String));
}

/// Records nothing (the `decide` path).
pub(crate) struct NoTrace;

impl Trace for NoTrace {
    #[inline(always)]
    fn step(&mut self, _: impl FnOnce() -> (String, String, String)) {}
}

/// Records every step (the `explain` path).
#[derive(Default)]
pub(crate) struct Recorder {
    steps: Vec<Step>,
}

impl Trace for Recorder {
    fn step(&mut self, step: impl FnOnce() -> (String, String, String)) {
        let (scope, check, outcome) = step();
        self.steps.push(Step {
            scope,
            check,
            outcome,
        });
    }
}

impl Recorder {
    /// Adds the verdict and turns the record into an explanation.
    pub(crate) fn finish(mut self, decision: Decision<'_>) -> Explanation {
        self.step(|| ("decision".into(), "verdict".into(), decision.to_string()));
        Explanation {
            allowed: decision.is_allowed(),
            rule: decision.rule().to_string(),
            steps: self.steps,
        }
    }
}
