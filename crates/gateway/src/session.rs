//! Sessions of protocol versions ≤ 2025-11-25: created by `initialize`, bound to the
//! authenticated principal, dropped after an idle timeout or on `DELETE /mcp`.
//!
//! A session id presented by a principal other than the one that created it is answered
//! exactly like an unknown id (`404`): a caller cannot tell another caller's live session
//! from a made-up one, and the owner's session is left untouched.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use hangar_identity::CallerIdentity;
use hangar_mcp::ProtocolVersion;

/// Who a session belongs to: subject, issuer and tenant of the caller that created it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Principal {
    subject: String,
    issuer: Option<String>,
    tenant: Option<String>,
}

impl Principal {
    fn of(caller: &CallerIdentity) -> Self {
        Self {
            subject: caller.subject.clone(),
            issuer: caller.issuer.clone(),
            tenant: caller.tenant_id.clone(),
        }
    }

    /// Whether `caller` is this principal (compared in place: the check runs on every
    /// request of a session and copies nothing).
    fn is(&self, caller: &CallerIdentity) -> bool {
        self.subject == caller.subject
            && self.issuer == caller.issuer
            && self.tenant == caller.tenant_id
    }
}

#[derive(Debug)]
struct Session {
    principal: Principal,
    version: ProtocolVersion,
    last_seen: Instant,
}

/// The live sessions.
#[derive(Debug)]
pub(crate) struct Sessions {
    live: Mutex<HashMap<String, Session>>,
    idle_timeout: Duration,
    max_sessions: usize,
}

impl Sessions {
    pub(crate) fn new(idle_timeout: Duration, max_sessions: usize) -> Self {
        Self {
            live: Mutex::default(),
            idle_timeout,
            max_sessions,
        }
    }

    /// A new session for `owner` speaking `version`; its id (128 random bits, hex).
    pub(crate) fn create(&self, owner: &CallerIdentity, version: ProtocolVersion) -> String {
        let id = random_id();
        let now = Instant::now();
        let mut live = self.lock();
        if live.len() >= self.max_sessions {
            live.retain(|_, s| now.duration_since(s.last_seen) < self.idle_timeout);
        }
        if live.len() >= self.max_sessions {
            // Still full: drop the longest idle one rather than refuse the newcomer.
            if let Some(oldest) = live
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(id, _)| id.clone())
            {
                live.remove(&oldest);
            }
        }
        live.insert(
            id.clone(),
            Session {
                principal: Principal::of(owner),
                version,
                last_seen: now,
            },
        );
        id
    }

    /// The session's version when `id` is live and belongs to `caller`'s principal (and
    /// marks it used); `None` for an unknown, expired or foreign id.
    pub(crate) fn touch(&self, id: &str, caller: &CallerIdentity) -> Option<ProtocolVersion> {
        let now = Instant::now();
        let mut live = self.lock();
        let session = live.get_mut(id)?;
        if now.duration_since(session.last_seen) >= self.idle_timeout {
            live.remove(id);
            return None;
        }
        if !session.principal.is(caller) {
            return None;
        }
        session.last_seen = now;
        Some(session.version)
    }

    /// Ends the session `id` if it belongs to `caller`'s principal; whether it did.
    pub(crate) fn end(&self, id: &str, caller: &CallerIdentity) -> bool {
        let mut live = self.lock();
        match live.get(id) {
            Some(session) if session.principal.is(caller) => live.remove(id).is_some(),
            _ => false,
        }
    }

    /// How many sessions are live (expired ones not yet swept included).
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn random_id() -> String {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random generator works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use hangar_identity::AuthMethod;

    use super::*;

    fn principal(subject: &str, tenant: &str) -> CallerIdentity {
        let mut caller = CallerIdentity::new(subject, AuthMethod::ApiKey);
        caller.tenant_id = Some(tenant.to_owned());
        caller
    }

    #[test]
    fn a_session_answers_only_its_principal() {
        let sessions = Sessions::new(Duration::from_secs(60), 10);
        let a = principal("key-a", "tenant:a");
        let id = sessions.create(&a, ProtocolVersion::V2025_06_18);
        assert_eq!(id.len(), 32);
        assert_eq!(sessions.touch(&id, &a), Some(ProtocolVersion::V2025_06_18));
        let b = principal("key-b", "tenant:b");
        assert_eq!(sessions.touch(&id, &b), None);
        assert!(!sessions.end(&id, &b));
        assert!(sessions.end(&id, &a));
        assert_eq!(sessions.touch(&id, &a), None);
    }

    #[test]
    fn idle_sessions_expire() {
        let sessions = Sessions::new(Duration::ZERO, 10);
        let a = principal("key-a", "tenant:a");
        let id = sessions.create(&a, ProtocolVersion::V2025_11_25);
        assert_eq!(sessions.touch(&id, &a), None);
        assert_eq!(sessions.len(), 0);
    }

    #[test]
    fn a_full_table_drops_the_longest_idle() {
        let sessions = Sessions::new(Duration::from_secs(60), 2);
        let a = principal("key-a", "tenant:a");
        let first = sessions.create(&a, ProtocolVersion::V2025_11_25);
        sessions.create(&a, ProtocolVersion::V2025_11_25);
        sessions.create(&a, ProtocolVersion::V2025_11_25);
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions.touch(&first, &a), None);
    }
}
