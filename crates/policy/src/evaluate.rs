//! The decision procedure, shared by [`Policy::decide`] and [`Policy::explain`]: the
//! trace closures run only when explaining, so deciding pays nothing for them.

use crate::compile::{Rules, Server, ToolId, Which};
use crate::trace::Trace;
use crate::{Caller, Decision, Mode, Policy, Rule, Scope, UnlistedTenants};

impl Policy {
    #[inline(always)]
    pub(crate) fn evaluate<'p, T: Trace>(
        &'p self,
        caller: &Caller<'_>,
        server: &str,
        tool: &str,
        t: &mut T,
    ) -> Decision<'p> {
        match self.run(caller, server, tool, t) {
            Ok(decision) | Err(decision) => decision,
        }
    }

    /// Evaluates; a scope that decides early comes back as `Err`.
    #[inline(always)]
    fn run<'p, T: Trace>(
        &'p self,
        caller: &Caller<'_>,
        server_name: &str,
        tool: &str,
        t: &mut T,
    ) -> Result<Decision<'p>, Decision<'p>> {
        let decided = |rule| Ok(Decision { rule });
        let front_door = self.mode == Mode::FrontDoor;
        t.step(|| ("policy".into(), "mode".into(), self.mode.to_string()));
        let tenant = caller.tenant;
        t.step(|| {
            let outcome = tenant.map_or_else(|| "none".into(), |tenant| format!("{tenant:?}"));
            ("caller".into(), "tenant".into(), outcome)
        });
        // 1. front_door fails closed without a tenant.
        if front_door && tenant.is_none() {
            return decided(Rule::NoTenant);
        }

        // 2. A server without policy: nothing in front_door, everything in egress.
        let Some((_, server)) = self.servers.get(server_name) else {
            t.step(|| {
                (
                    "policy".into(),
                    format!("server {server_name:?}"),
                    "not configured".into(),
                )
            });
            return decided(if front_door {
                Rule::UnknownServer
            } else {
                Rule::Allow {
                    scope: Scope::Default,
                    pattern: None,
                }
            });
        };
        t.step(|| {
            (
                "policy".into(),
                format!("server {server_name:?}"),
                "configured".into(),
            )
        });

        let listed = tenant.and_then(|tenant| server.listed(tenant));
        t.step(|| {
            let outcome = match listed {
                Some(listed) => {
                    let member = listed.member.map(|_| "member entry".to_owned());
                    let groups = listed
                        .groups
                        .iter()
                        .map(|g| format!("group {:?}", server.groups[g].0));
                    format!(
                        "listed by {}",
                        member
                            .into_iter()
                            .chain(groups)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
                None if tenant.is_none() => "unlisted (anonymous caller)".into(),
                None => "unlisted (no member or group rule names the tenant)".into(),
            };
            (format!("server {server_name:?}"), "listing".into(), outcome)
        });

        let mut check = Check {
            server,
            tool,
            id: server.tool_id(tool),
            t,
        };
        // Exact names of the server and member scopes, looked up once for both passes.
        let tools = server.tools.map(|rules| (rules, check.flags(&rules)));
        let member = listed.and_then(|listed| Some((listed.member?, listed.tenant())));
        let member =
            member.map(|(rules, tenant)| (rules, check.flags(&rules), Scope::Member { tenant }));
        let groups = listed
            .map(|listed| listed.groups)
            .unwrap_or_default()
            .iter()
            .map(|g| {
                let (group, rules) = &server.groups[g];
                (*rules, Scope::Group { group })
            });

        // 3. Deny wins: every applicable deny list, widest scope first.
        match tools {
            Some((rules, flags)) => check.deny(&rules, flags, Scope::Server)?,
            None => check.t.step(|| {
                (
                    "server tools".into(),
                    "tools".into(),
                    "absent (no server-level block)".into(),
                )
            }),
        }
        for (rules, scope) in groups.clone() {
            let flags = check.flags(&rules);
            check.deny(&rules, flags, scope)?;
        }
        if let Some((rules, flags, scope)) = member {
            check.deny(&rules, flags, scope)?;
        }

        // 4. An unlisted tenant gets the server's grant to unlisted tenants, if any.
        if listed.is_none() {
            let grants = match server.unlisted {
                UnlistedTenants::Deny => false,
                UnlistedTenants::ServerPolicy => !front_door || server.tools.is_some(),
            };
            check.t.step(|| {
                let origin = if server.unlisted_is_own {
                    "server setting"
                } else {
                    "policy default"
                };
                let effect = match (server.unlisted, grants) {
                    (UnlistedTenants::Deny, _) => "grants nothing",
                    (_, false) => "no tools block: grants nothing in front_door",
                    (_, true) if server.tools.is_some() => "grants what the server tools allow",
                    (_, true) => "no tools block: grants everything in egress",
                };
                let outcome = format!("{} ({origin}): {effect}", server.unlisted);
                (
                    format!("server {server_name:?}"),
                    "unlisted_tenants".into(),
                    outcome,
                )
            });
            if !grants {
                return decided(Rule::UnlistedTenant);
            }
        }

        // 5. Every applicable allow list, widest scope first; 6. the narrowest scope that
        // applied names the grant.
        let mut scope = Scope::Default;
        let mut pattern = None;
        if let Some((rules, flags)) = tools {
            scope = Scope::Server;
            pattern = check.allow(&rules, flags, scope)?;
        }
        for (rules, group) in groups {
            let flags = check.flags(&rules);
            scope = group;
            pattern = check.allow(&rules, flags, scope)?;
        }
        if let Some((rules, flags, member)) = member {
            scope = member;
            pattern = check.allow(&rules, flags, scope)?;
        }
        decided(Rule::Allow { scope, pattern })
    }
}

/// One tool checked against the scopes of one server. Its checks return `Err` with the
/// decision when a scope decides, so `?` ends the evaluation.
struct Check<'p, 'a, T> {
    server: &'p Server,
    tool: &'a str,
    id: ToolId<'p>,
    t: &'a mut T,
}

impl<'p, T: Trace> Check<'p, '_, T> {
    #[inline(always)]
    fn flags(&self, rules: &Rules) -> u32 {
        self.server.flags(rules, self.id)
    }

    /// A deny list: decides when it matches.
    #[inline(always)]
    fn deny(&mut self, rules: &Rules, flags: u32, scope: Scope<'p>) -> Result<(), Decision<'p>> {
        let found = self
            .server
            .find(rules, Which::Deny, self.tool, self.id, flags);
        self.t.step(|| {
            (
                scope.to_string(),
                "deny_list".into(),
                outcome(rules, Which::Deny, found),
            )
        });
        match found {
            Some(pattern) => Err(Decision {
                rule: Rule::Deny { scope, pattern },
            }),
            None => Ok(()),
        }
    }

    /// An allow list: decides when it exists and does not match; else the pattern that
    /// matched (`None` when there is no list).
    #[inline(always)]
    fn allow(
        &mut self,
        rules: &Rules,
        flags: u32,
        scope: Scope<'p>,
    ) -> Result<Option<&'p str>, Decision<'p>> {
        if !rules.has_allow_list() {
            self.t.step(|| {
                let outcome = "absent (everything the wider scopes allow)".into();
                (scope.to_string(), "allow_list".into(), outcome)
            });
            return Ok(None);
        }
        let found = self
            .server
            .find(rules, Which::Allow, self.tool, self.id, flags);
        self.t.step(|| {
            (
                scope.to_string(),
                "allow_list".into(),
                outcome(rules, Which::Allow, found),
            )
        });
        match found {
            Some(pattern) => Ok(Some(pattern)),
            None => Err(Decision {
                rule: Rule::NotAllowed { scope },
            }),
        }
    }
}

/// What a list did, for the trace.
fn outcome(rules: &Rules, which: Which, found: Option<&str>) -> String {
    match (found, which) {
        (Some(pattern), _) => format!("matched {pattern:?}"),
        (None, Which::Deny) if rules.is_empty(which) => "absent".into(),
        (None, Which::Allow) if rules.is_empty(which) => "empty: allows nothing".into(),
        (None, _) => "no match".into(),
    }
}
