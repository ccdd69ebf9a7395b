//! A pure, embeddable tool-access policy engine for MCP (Model Context Protocol)
//! gateways, and for any other service that lets callers invoke named tools.
//!
//! Given a caller (an authenticated tenant, or nobody), a server (the back end that
//! holds the tools) and a tool name, [`Policy::decide`] answers *allow* or *deny* and
//! names the [`Rule`] that decided; [`Policy::explain`] returns the whole trace. The
//! crate does no I/O and needs no async runtime. A decision allocates nothing, borrows
//! its names from the policy, and costs about the same with ten tenants or ten thousand.
//!
//! # The model
//!
//! * A [`Mode`]: [`Mode::Egress`] (trusted callers; where no rule speaks, allow) or
//!   [`Mode::FrontDoor`] (untrusted callers; fail-closed: no tenant, a server without
//!   policy, or a tenant nothing grants anything means deny).
//! * Per server, three kinds of scope, widest to narrowest, each with an optional allow
//!   list and a deny list of [`Pattern`]s (exact names or globs such as `beta_*`): the
//!   server-level rules ([`ServerPolicy::tools`]), tenant-group rules
//!   ([`ServerPolicy::group`], groups of exact tenant ids defined with
//!   [`PolicyBuilder::group`]), and the tenant's member entry ([`ServerPolicy::member`]).
//! * Deny wins: a tool matched by any deny list that applies is denied. Every allow list
//!   that applies must match, so a narrower scope can only remove tools.
//! * A tenant named by no member entry and by no group with rules on the server is
//!   *unlisted*, and gets what [`UnlistedTenants`] says: by default the server-level
//!   grant (in front_door, nothing when the server has no `tools` block), or nothing at
//!   all with [`UnlistedTenants::Deny`].
//!
//! The decision, step by step:
//!
//! 1. front_door and no tenant: deny ([`Rule::NoTenant`]);
//! 2. a server the policy does not know: deny in front_door ([`Rule::UnknownServer`]),
//!    allow in egress ([`Scope::Default`]);
//! 3. deny lists of the server, the tenant's groups (in name order), the member: the
//!    first that matches denies ([`Rule::Deny`]);
//! 4. an unlisted tenant the server grants nothing: deny ([`Rule::UnlistedTenant`]);
//! 5. allow lists in the same order: one that does not match denies
//!    ([`Rule::NotAllowed`]);
//! 6. allow ([`Rule::Allow`]), naming the narrowest scope that applied and the allow
//!    pattern that matched there.
//!
//! A matching list reports the tool's own name when it has it as an exact entry, else
//! its first matching glob in list order.
//!
//! # Example
//!
//! ```
//! use hangar_policy::{Caller, Mode, Policy, Rule, Scope, ServerPolicy, ToolRules};
//!
//! let policy = Policy::builder(Mode::FrontDoor)
//!     .server(
//!         "payments",
//!         ServerPolicy::new()
//!             .member("tenant:a", ToolRules::new().deny(["refund"]))
//!             .member("tenant:b", ToolRules::new().allow(["charge", "refund"])),
//!     )
//!     .build()?;
//!
//! let a = Caller::tenant("tenant:a");
//! assert!(policy.decide(&a, "payments", "charge").is_allowed());
//! let refund = policy.decide(&a, "payments", "refund");
//! assert_eq!(
//!     refund.rule(),
//!     Rule::Deny { scope: Scope::Member { tenant: "tenant:a" }, pattern: "refund" }
//! );
//! assert_eq!(
//!     refund.to_string(),
//!     r#"deny: denied by deny_list of member "tenant:a" (pattern "refund")"#
//! );
//!
//! // Fail-closed: a tenant no rule names, and a caller without a tenant.
//! assert!(!policy.decide(&Caller::tenant("tenant:c"), "payments", "charge").is_allowed());
//! assert_eq!(policy.decide(&Caller::anonymous(), "payments", "charge").rule(), Rule::NoTenant);
//!
//! // The whole trace, for humans and audit logs.
//! println!("{}", policy.explain(&Caller::tenant("tenant:b"), "payments", "legacy_charge"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! * `serde` (default): `Serialize`/`Deserialize` for [`Mode`], [`UnlistedTenants`] and
//!   [`ToolRules`] (with the config keys `allow_list` and `deny_list`), `Serialize` for
//!   [`Explanation`] and [`Step`]. Embedders that do not need it use
//!   `default-features = false`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod compile;
mod decision;
mod engine;
mod error;
mod evaluate;
mod model;
mod pattern;
mod strmap;
mod trace;

pub use decision::{Caller, Decision, Explanation, Rule, Scope, Step};
pub use engine::{Policy, PolicyBuilder};
pub use error::Error;
pub use model::{Mode, ServerPolicy, ToolRules, UnlistedTenants};
pub use pattern::Pattern;
