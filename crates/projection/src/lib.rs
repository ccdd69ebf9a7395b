//! Hangar's tool projection: what each tenant sees of the back ends' tools.
//!
//! - **Withdrawal overlays.** [`ConfigWithdrawals`] are declared in the config file
//!   (`tool_projection.withdrawn`, globs, for every tenant or per tenant); runtime
//!   withdrawals are exact (server, tool, tenant) entries made through the admin API and
//!   kept in an [`OverlayStore`] ([`RedbOverlayStore`] by default). [`Overlays`] combines
//!   them: a tool is withdrawn if *either* withdraws it; a restore clears only the
//!   runtime entry. Every change moves an epoch that caches key on.
//! - **The flat surface.** [`surface`] computes one caller's tool list from the
//!   [`Catalog`] of back-end tools: reserved names (`hangar_*`) and names two back ends
//!   share are dropped, then withdrawn tools, then whatever the
//!   [`hangar_policy::Policy`] denies. [`Surface::route`] maps a flat name to its back end.
//!
//! ```
//! use hangar_policy::{Caller, Mode, Policy, ServerPolicy, ToolRules};
//! use hangar_projection::{
//!     surface, Catalog, ConfigWithdrawals, MemoryOverlayStore, Overlays, WithdrawalKey,
//! };
//!
//! let policy = Policy::builder(Mode::FrontDoor)
//!     .server(
//!         "payments",
//!         ServerPolicy::new()
//!             .member("tenant:a", ToolRules::new().deny(["refund"]))
//!             .member("tenant:b", ToolRules::new().allow(["charge", "refund"])),
//!     )
//!     .build()?;
//! let config = ConfigWithdrawals::new([
//!     ("payments", "legacy_charge", None),
//!     ("payments", "beta_tool", Some("tenant:a")),
//! ])?;
//! let overlays = Overlays::new(config, MemoryOverlayStore::new())?;
//! let catalog =
//!     Catalog::new().with_server("payments", ["charge", "refund", "legacy_charge", "beta_tool"]);
//!
//! let names = |tenant| -> Vec<String> {
//!     let seen = surface(&policy, &overlays, &catalog, &Caller::tenant(tenant));
//!     seen.visible().iter().map(|tool| tool.name().to_owned()).collect()
//! };
//! assert_eq!(names("tenant:a"), ["charge"]);
//! assert_eq!(names("tenant:b"), ["charge", "refund"]);
//!
//! // An operator withdraws refund for tenant:b at runtime, then restores it.
//! let key = WithdrawalKey::for_tenant("payments", "refund", "tenant:b");
//! overlays.withdraw(&key, "ops-admin")?;
//! assert_eq!(names("tenant:b"), ["charge"]);
//! overlays.restore(&key)?;
//! assert_eq!(names("tenant:b"), ["charge", "refund"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod catalog;
mod config_overlay;
mod error;
mod overlays;
mod report;
mod runtime;
mod store;
mod surface;
mod withdrawn;

pub use catalog::Catalog;
pub use config_overlay::ConfigWithdrawals;
pub use error::{BoxError, Error, Result};
pub use overlays::{OverlaySnapshot, Overlays, RestoreOutcome, WithdrawOutcome};
pub use report::{ReportLine, SurfaceReport};
pub use runtime::{RuntimeWithdrawal, WithdrawalKey};
pub use store::{MemoryOverlayStore, OverlayStore, RedbOverlayStore};
pub use surface::{
    HiddenReason, HiddenTool, RESERVED_PREFIX, Surface, VisibleTool, surface, visible_surface,
};
pub use withdrawn::{WithdrawalCheck, WithdrawnBy};

#[cfg(test)]
mod tests;
