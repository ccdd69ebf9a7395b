//! API SKELETON — being implemented. Signatures here are the contract other crates code against.
#![forbid(unsafe_code)]

mod error;
mod model;
mod decision;
mod engine;

pub use decision::{Caller, Decision, Explanation, Rule, Scope, Step};
pub use engine::{Policy, PolicyBuilder};
pub use error::Error;
pub use model::{Mode, Pattern, ServerPolicy, ToolRules, UnlistedTenants};
