//! Audit records, for now as `tracing` events under the target `hangar::audit` (one per
//! auth decision and per tool decision; never a credential). The JSON-lines audit log of
//! BEHAVIOUR.md §4 will consume the same calls.

use hangar_identity::{CallerIdentity, Rejection};

/// The target every audit event uses.
pub(crate) const TARGET: &str = "hangar::audit";

/// An authenticated caller (debug level: one per request).
pub(crate) fn auth_allowed(caller: &CallerIdentity) {
    tracing::debug!(
        target: TARGET,
        kind = "auth",
        verdict = "allow",
        subject = %caller.subject,
        tenant = caller.tenant_id.as_deref(),
        method = ?caller.method,
    );
}

/// A refused credential.
pub(crate) fn auth_denied(rejection: &Rejection) {
    tracing::info!(target: TARGET, kind = "auth", verdict = "deny", reason = rejection.reason());
}

/// A `tools/call` decision: `server` is `None` when the name is hidden from the caller
/// (unknown, denied and withdrawn are not told apart on the wire, nor here).
pub(crate) fn tool(caller: &CallerIdentity, server: Option<&str>, tool: &str) {
    tracing::info!(
        target: TARGET,
        kind = "tool",
        verdict = if server.is_some() { "allow" } else { "hidden" },
        subject = %caller.subject,
        tenant = caller.tenant_id.as_deref(),
        server,
        tool,
    );
}

/// An admin action (withdraw, restore) that changed or confirmed an overlay.
pub(crate) fn admin(
    caller: &CallerIdentity,
    action: &str,
    server: &str,
    tool: &str,
    tenant: Option<&str>,
) {
    tracing::info!(
        target: TARGET,
        kind = "admin",
        action,
        subject = %caller.subject,
        server,
        tool,
        tenant,
    );
}
