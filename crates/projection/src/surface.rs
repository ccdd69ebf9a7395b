//! The per-tenant flat tool surface.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use hangar_policy::{Caller, Policy, Rule};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::{Catalog, WithdrawalCheck, WithdrawnBy};

/// Upstream tool names starting with this are reserved for the gateway's own tools and
/// never appear in a flat surface (case-sensitive, like MCP tool names).
pub const RESERVED_PREFIX: &str = "hangar_";

/// A tool the caller sees, under its flat name, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VisibleTool {
    name: Arc<str>,
    server: Arc<str>,
    reason: Arc<str>,
}

impl VisibleTool {
    /// The flat name (the back end's own tool name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The back end that serves it.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The policy rule that allows it (`hangar_policy::Rule`'s text), e.g.
    /// `allowed by allow_list of member "tenant:b" (pattern "charge")`.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A back-end tool the caller does not see, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HiddenTool {
    server: Arc<str>,
    tool: Arc<str>,
    reason: HiddenReason,
}

impl HiddenTool {
    /// The back end.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The tool, as the back end names it.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// Why it is hidden.
    pub fn reason(&self) -> &HiddenReason {
        &self.reason
    }
}

/// Why a tool is not in a surface. Checked in this order; the first that applies wins.
///
/// Displays as a human reason (what `hangarctl explain` prints); [`code`](Self::code) is
/// a stable machine name. Serializes as `{"code": …, "message": …}` plus `servers` for a
/// collision and `withdrawn_by` for a withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HiddenReason {
    /// The name starts with [`RESERVED_PREFIX`].
    Reserved,
    /// Two or more back ends list the name; it is dropped for every tenant.
    Collision {
        /// Every server listing the name, in catalog order.
        servers: Arc<[Arc<str>]>,
    },
    /// A withdrawal overlay hides it.
    Withdrawn(WithdrawnBy),
    /// The tool-access policy denies it; the deciding rule's text
    /// (`hangar_policy::Rule`'s `Display`).
    Denied(Arc<str>),
}

impl HiddenReason {
    /// `reserved`, `collision`, `withdrawn` or `denied`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Collision { .. } => "collision",
            Self::Withdrawn(_) => "withdrawn",
            Self::Denied(_) => "denied",
        }
    }
}

impl fmt::Display for HiddenReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reserved => write!(
                f,
                "reserved: names starting with {RESERVED_PREFIX:?} belong to the gateway"
            ),
            Self::Collision { servers } => {
                f.write_str("collision: served by ")?;
                for (i, server) in servers.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(server)?;
                }
                f.write_str("; dropped for every tenant")
            }
            Self::Withdrawn(by) => by.fmt(f),
            Self::Denied(rule) => f.write_str(rule),
        }
    }
}

impl Serialize for HiddenReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let extra = usize::from(matches!(self, Self::Collision { .. } | Self::Withdrawn(_)));
        let mut map = serializer.serialize_map(Some(2 + extra))?;
        map.serialize_entry("code", self.code())?;
        map.serialize_entry("message", &self.to_string())?;
        match self {
            Self::Collision { servers } => map.serialize_entry("servers", servers)?,
            Self::Withdrawn(by) => map.serialize_entry("withdrawn_by", by)?,
            Self::Reserved | Self::Denied(_) => {}
        }
        map.end()
    }
}

/// One caller's flat tool surface: the tools it sees (in catalog order) with the back end
/// each routes to, and every other catalog tool with the reason it is hidden.
///
/// Computed by [`surface`] (everything, for explain and the admin API) or
/// [`visible_surface`] (no hidden list, for the request path); immutable, so the gateway
/// caches it per (tenant, epoch).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Surface {
    visible: Vec<VisibleTool>,
    hidden: Vec<HiddenTool>,
    #[serde(skip)]
    routes: FxHashMap<Arc<str>, u32>,
}

impl Surface {
    /// The tools the caller sees, in catalog order (servers as added, tools as listed).
    pub fn visible(&self) -> &[VisibleTool] {
        &self.visible
    }

    /// The tools the caller does not see, with reasons (empty from [`visible_surface`]).
    pub fn hidden(&self) -> &[HiddenTool] {
        &self.hidden
    }

    /// The server a flat name routes to, or `None` if the caller does not see that name
    /// (unknown, reserved, colliding, withdrawn and denied all look the same here).
    pub fn route(&self, flat_name: &str) -> Option<&str> {
        self.visible_tool(flat_name).map(VisibleTool::server)
    }

    /// The visible tool with this flat name.
    pub fn visible_tool(&self, flat_name: &str) -> Option<&VisibleTool> {
        let index = *self.routes.get(flat_name)?;
        self.visible.get(index as usize)
    }

    /// Why `server`/`tool` is hidden, if it is in the hidden list.
    pub fn hidden_reason(&self, server: &str, tool: &str) -> Option<&HiddenReason> {
        self.hidden
            .iter()
            .find(|hidden| &*hidden.server == server && &*hidden.tool == tool)
            .map(HiddenTool::reason)
    }

    /// How many tools are visible.
    pub fn len(&self) -> usize {
        self.visible.len()
    }

    /// Nothing visible.
    pub fn is_empty(&self) -> bool {
        self.visible.is_empty()
    }
}

/// Computes `caller`'s flat surface: catalog tools − reserved − colliding − withdrawn
/// (config ∪ runtime) ∩ allowed by `policy`, each tool checked in that order so that every
/// hidden tool gets exactly one reason.
///
/// Collisions are computed over the whole catalog, not per caller: a name two back ends
/// list is dropped for every tenant even if one copy is withdrawn or denied for this one,
/// so the server a name routes to never changes silently.
///
/// ```
/// use hangar_policy::{Caller, Mode, Policy, ServerPolicy, ToolRules};
/// use hangar_projection::{surface, Catalog, ConfigWithdrawals};
///
/// let policy = Policy::builder(Mode::FrontDoor)
///     .server(
///         "payments",
///         ServerPolicy::new().member("tenant:b", ToolRules::new().allow(["charge", "refund"])),
///     )
///     .build()?;
/// let withdrawals = ConfigWithdrawals::new([("payments", "legacy_charge", None)])?;
/// let catalog = Catalog::new().with_server("payments", ["charge", "refund", "legacy_charge"]);
///
/// let seen = surface(&policy, &withdrawals, &catalog, &Caller::tenant("tenant:b"));
/// let names: Vec<&str> = seen.visible().iter().map(|tool| tool.name()).collect();
/// assert_eq!(names, ["charge", "refund"]);
/// assert_eq!(seen.route("refund"), Some("payments"));
/// assert_eq!(seen.hidden()[0].reason().code(), "withdrawn");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn surface<W>(policy: &Policy, overlays: &W, catalog: &Catalog, caller: &Caller<'_>) -> Surface
where
    W: WithdrawalCheck + ?Sized,
{
    compute(policy, overlays, catalog, caller, true)
}

/// [`surface`] without the hidden list: what the request path caches (tools/list, routing).
/// Smaller and quicker to build; the visible tools are the same.
pub fn visible_surface<W>(
    policy: &Policy,
    overlays: &W,
    catalog: &Catalog,
    caller: &Caller<'_>,
) -> Surface
where
    W: WithdrawalCheck + ?Sized,
{
    compute(policy, overlays, catalog, caller, false)
}

fn compute<W>(
    policy: &Policy,
    overlays: &W,
    catalog: &Catalog,
    caller: &Caller<'_>,
    keep_hidden: bool,
) -> Surface
where
    W: WithdrawalCheck + ?Sized,
{
    let tenant = caller.tenant_id();
    let mut texts = RuleTexts::default();
    let mut out = Surface::default();
    for server in catalog.entries() {
        for tool in &server.tools {
            let reason = if tool.name.starts_with(RESERVED_PREFIX) {
                HiddenReason::Reserved
            } else if let Some(servers) = &tool.collision {
                HiddenReason::Collision {
                    servers: servers.clone(),
                }
            } else if let Some(by) = overlays.check(&server.name, &tool.name, tenant) {
                HiddenReason::Withdrawn(by)
            } else {
                let decision = policy.decide(caller, &server.name, &tool.name);
                if decision.is_allowed() {
                    let index = u32::try_from(out.visible.len()).unwrap_or(u32::MAX);
                    out.routes.insert(tool.name.clone(), index);
                    out.visible.push(VisibleTool {
                        name: tool.name.clone(),
                        server: server.name.clone(),
                        reason: texts.text(decision.rule()),
                    });
                    continue;
                }
                if !keep_hidden {
                    continue;
                }
                HiddenReason::Denied(texts.text(decision.rule()))
            };
            if keep_hidden {
                out.hidden.push(HiddenTool {
                    server: server.name.clone(),
                    tool: tool.name.clone(),
                    reason,
                });
            }
        }
    }
    out
}

/// Rule texts shared between the tools they decide: most tools of a surface are decided
/// by a handful of rules, so each text is formatted and allocated once.
#[derive(Default)]
struct RuleTexts<'p> {
    /// The most recent distinct rules (checked before formatting anything).
    recent: [Option<(Rule<'p>, Arc<str>)>; 4],
    next: usize,
    known: FxHashSet<Arc<str>>,
    buffer: String,
}

impl<'p> RuleTexts<'p> {
    fn text(&mut self, rule: Rule<'p>) -> Arc<str> {
        for (known, text) in self.recent.iter().flatten() {
            if *known == rule {
                return text.clone();
            }
        }
        self.buffer.clear();
        // Writing to a String cannot fail.
        let _ = write!(self.buffer, "{rule}");
        let text = match self.known.get(self.buffer.as_str()) {
            Some(text) => text.clone(),
            None => {
                let text: Arc<str> = self.buffer.as_str().into();
                self.known.insert(text.clone());
                text
            }
        };
        self.recent[self.next] = Some((rule, text.clone()));
        self.next = (self.next + 1) % self.recent.len();
        text
    }
}
