//! Compiling a [`ServerPolicy`] into a [`Server`]: first validate and intern every
//! scope (the run-key width depends on how many tool names the server has), then lay
//! the records out.

use rustc_hash::{FxHashMap, FxHashSet};

use super::{
    ALLOW_EMPTY, DENY_EMPTY, GLOB_BITS, HAS_ALLOW, HEADER, IN_ALLOW, IN_DENY, INLINE_RUN, LINE,
    MASK_SCOPES, RecordIndex, Rules, Run, Server, Span, TOOL_HEADER, Which,
};
use crate::{Error, Pattern, ServerPolicy, ToolRules, UnlistedTenants};

/// Tool ids below this fit 16-bit run keys (`id << 2 | flags`).
const NARROW_IDS: usize = 1 << 14;

/// A count or offset as `u32` (below 2^30, so that `id << 2` fits).
fn index(n: usize) -> Result<u32, Error> {
    u32::try_from(n)
        .ok()
        .filter(|&n| n < 1 << 30)
        .ok_or_else(|| Error::too_large("policy"))
}

/// A count as `u16`.
fn short(n: usize, what: &str) -> Result<u16, Error> {
    u16::try_from(n).map_err(|_| Error::too_large(what))
}

/// One scope, validated and interned.
struct Scope<'a> {
    rules: &'a ToolRules,
    /// Tool id → run flags.
    exact: FxHashMap<u32, u32>,
    /// Glob ids of each list.
    allow_globs: Vec<u32>,
    deny_globs: Vec<u32>,
}

/// The tables of a server being compiled.
#[derive(Default)]
struct Tables {
    ids: FxHashMap<Box<str>, u32>,
    /// Shared-scope flags by tool id.
    masks: Vec<u64>,
    wide: bool,
    records: Vec<u8>,
    long_runs: FxHashMap<u64, u32>,
    runs: u32,
    /// Distinct globs, by id, and their ids by text.
    globs: Vec<Pattern>,
    glob_ids: FxHashMap<Box<str>, u32>,
    glob_refs: Vec<u32>,
}

impl Tables {
    /// Validates every pattern of one scope and interns its exact names.
    fn intern<'a>(&mut self, rules: &'a ToolRules) -> Result<Scope<'a>, Error> {
        let mut scope = Scope {
            rules,
            exact: FxHashMap::default(),
            allow_globs: Vec::new(),
            deny_globs: Vec::new(),
        };
        if let Some(list) = &rules.allow_list {
            self.list(list, Which::Allow, &mut scope)?;
        }
        self.list(&rules.deny_list, Which::Deny, &mut scope)?;
        Ok(scope)
    }

    fn list(
        &mut self,
        entries: &[String],
        which: Which,
        scope: &mut Scope<'_>,
    ) -> Result<(), Error> {
        let (name, flag, globs) = match which {
            Which::Allow => ("allow_list", IN_ALLOW, &mut scope.allow_globs),
            Which::Deny => ("deny_list", IN_DENY, &mut scope.deny_globs),
        };
        for (i, entry) in entries.iter().enumerate() {
            let pattern = Pattern::new(entry).map_err(|err| err.at(format_args!("{name}[{i}]")))?;
            if pattern.is_exact() {
                let next = index(self.ids.len())?;
                let id = *self.ids.entry(entry.as_str().into()).or_insert(next);
                if id == next {
                    self.masks.push(0);
                }
                *scope.exact.entry(id).or_default() |= flag;
            } else {
                let next = index(self.globs.len())?;
                let id = *self.glob_ids.entry(entry.as_str().into()).or_insert(next);
                if id == next {
                    self.globs.push(pattern);
                }
                globs.push(id);
            }
        }
        Ok(())
    }

    /// Lays out one scope; `shared` is its slot in the tool masks, if it has one. An
    /// inline run is appended to `records`.
    fn lay_out(&mut self, scope: Scope<'_>, shared: Option<usize>) -> Result<Rules, Error> {
        let Scope {
            rules,
            exact,
            allow_globs,
            deny_globs,
        } = scope;
        let run = if exact.is_empty() {
            Run::Empty
        } else if let Some(slot) = shared.filter(|&slot| slot < MASK_SCOPES) {
            let shift = index(2 * slot)?;
            for (id, flags) in exact {
                self.masks[id as usize] |= u64::from(flags) << shift;
            }
            Run::Mask(shift)
        } else if exact.len() <= INLINE_RUN {
            let mut keys: Vec<u32> = exact
                .into_iter()
                .map(|(id, flags)| id << 2 | flags)
                .collect();
            keys.sort_unstable();
            let span = Span {
                start: index(self.records.len())?,
                len: index(keys.len())?,
            };
            for key in keys {
                if self.wide {
                    self.records.extend_from_slice(&key.to_le_bytes());
                } else {
                    self.records
                        .extend_from_slice(&short(key as usize, "run key")?.to_le_bytes());
                }
            }
            Run::Inline(span)
        } else {
            let run = self.runs;
            self.runs = index(run as usize + 1)?;
            let keys = exact
                .into_iter()
                .map(|(id, flags)| (u64::from(run) << 32 | u64::from(id), flags));
            self.long_runs.extend(keys);
            Run::Hashed(run)
        };
        let mut flags = 0;
        if let Some(list) = &rules.allow_list {
            flags |= HAS_ALLOW | if list.is_empty() { ALLOW_EMPTY } else { 0 };
        }
        if rules.deny_list.is_empty() {
            flags |= DENY_EMPTY;
        }
        let globs = index(self.glob_refs.len())?;
        let allow = short(allow_globs.len(), "allow_list globs")?;
        let deny = short(deny_globs.len(), "deny_list globs")?;
        self.glob_refs.extend(allow_globs);
        self.glob_refs.extend(deny_globs);
        Ok(Rules {
            run,
            globs,
            allow_globs: allow,
            deny_globs: deny,
            flags,
        })
    }

    /// Lays out the tool records, side by side; returns their index and the names by id.
    fn tool_records(&mut self) -> Result<(RecordIndex, ToolNames), Error> {
        let mut ids: Vec<(&str, u32)> = self.ids.iter().map(|(name, &id)| (&**name, id)).collect();
        ids.sort_unstable_by_key(|&(_, id)| id);
        let mut offsets = Vec::with_capacity(ids.len());
        for (name, id) in ids {
            let at = self.records.len().next_multiple_of(8);
            self.records.resize(at, 0);
            self.records
                .extend_from_slice(&short(name.len(), "tool name")?.to_le_bytes());
            self.records.extend_from_slice(&[0, 0]);
            self.records.extend_from_slice(&id.to_le_bytes());
            self.records
                .extend_from_slice(&self.masks[id as usize].to_le_bytes());
            // Which globs match: only kept (and worth computing) up to GLOB_BITS globs.
            let globs = if self.globs.len() <= GLOB_BITS {
                &self.globs[..]
            } else {
                &[]
            };
            let matching = globs
                .iter()
                .enumerate()
                .filter(|(_, glob)| glob.matches(name));
            let globs = matching.fold(0u64, |bits, (g, _)| {
                bits | 1u64.checked_shl(g as u32).unwrap_or(0)
            });
            self.records.extend_from_slice(&globs.to_le_bytes());
            debug_assert_eq!(self.records.len() - at, TOOL_HEADER);
            self.records.extend_from_slice(name.as_bytes());
            offsets.push(index(at)?);
        }
        let tools = RecordIndex::new(&offsets, &self.records, TOOL_HEADER);
        let mut names: Vec<(Box<str>, u32)> = self.ids.drain().collect();
        names.sort_unstable_by_key(|&(_, id)| id);
        Ok((tools, names.into_iter().map(|(name, _)| name).collect()))
    }

    /// Lays out a tenant record: header, id and group indexes on one cache line (when
    /// they fit one), then the member's run.
    fn record(
        &mut self,
        tenant: &str,
        groups: &[u32],
        member: Option<Scope<'_>>,
    ) -> Result<u32, Error> {
        let fixed = HEADER + tenant.len() + 2 * groups.len();
        let mut at = self.records.len().next_multiple_of(4);
        if at % LINE + fixed > LINE && fixed <= LINE {
            at = at.next_multiple_of(LINE);
        }
        self.records.resize(at, 0);
        let name_len = short(tenant.len(), "tenant id")?;
        let groups_len = short(groups.len(), "groups of one tenant")?;
        self.records.extend_from_slice(&name_len.to_le_bytes());
        self.records.extend_from_slice(&groups_len.to_le_bytes());
        self.records.resize(at + HEADER, 0);
        self.records.extend_from_slice(tenant.as_bytes());
        for &group in groups {
            let group = short(group as usize, "groups of one server")?;
            self.records.extend_from_slice(&group.to_le_bytes());
        }
        self.records
            .resize(self.records.len().next_multiple_of(2), 0);
        if let Some(scope) = member {
            let rules = self.lay_out(scope, None)?;
            self.records[at + 4..at + HEADER].copy_from_slice(&rules.encode());
        }
        index(at)
    }
}

/// Exact tool names, by id.
type ToolNames = Box<[Box<str>]>;

/// A listed tenant: its member rules and its groups on the server.
type Listed<'a> = (&'a str, Option<&'a ToolRules>, Vec<u32>);

impl Server {
    pub(crate) fn compile(
        policy: &ServerPolicy,
        default_unlisted: UnlistedTenants,
        group_tenants: &FxHashMap<&str, Vec<&str>>,
    ) -> Result<Self, Error> {
        let mut t = Tables::default();

        // 1. Validate and intern every scope.
        let tools = match &policy.tools {
            Some(rules) => Some(t.intern(rules).map_err(|err| err.at("tools"))?),
            None => None,
        };
        let mut named: Vec<&(String, ToolRules)> = policy.groups.iter().collect();
        named.sort_by(|x, y| x.0.cmp(&y.0));
        let mut groups = Vec::with_capacity(named.len());
        for (i, (name, rules)) in named.iter().enumerate() {
            if name.is_empty() {
                return Err(Error::empty_name("group name"));
            }
            if i > 0 && named[i - 1].0 == *name {
                return Err(Error::duplicate(format!("group {name:?}")));
            }
            if !group_tenants.contains_key(name.as_str()) {
                return Err(Error::unknown_group(name));
            }
            let scope = t
                .intern(rules)
                .map_err(|err| err.at(format_args!("group {name:?}")))?;
            groups.push((name.as_str(), scope));
        }
        let listed = listed(policy, &groups, group_tenants)?;
        let mut members = Vec::with_capacity(listed.len());
        for (tenant, member, _) in &listed {
            members.push(match member {
                Some(rules) => Some(
                    t.intern(rules)
                        .map_err(|err| err.at(format_args!("member {tenant:?}")))?,
                ),
                None => None,
            });
        }

        // 2. Lay out.
        t.wide = t.ids.len() > NARROW_IDS;
        let tools = match tools {
            Some(scope) => Some(t.lay_out(scope, Some(0))?),
            None => None,
        };
        let mut compiled_groups = Vec::with_capacity(groups.len());
        for (i, (name, scope)) in groups.into_iter().enumerate() {
            compiled_groups.push((Box::<str>::from(name), t.lay_out(scope, Some(1 + i))?));
        }
        let mut offsets = Vec::with_capacity(listed.len());
        for ((tenant, _, group_indexes), member) in listed.into_iter().zip(members) {
            let at = t.record(tenant, &group_indexes, member)?;
            offsets.push(at);
        }
        let tenants = RecordIndex::new(&offsets, &t.records, HEADER);
        let (tools_index, tool_names) = t.tool_records()?;
        t.long_runs.shrink_to_fit();
        let (arena, base) = aligned(&t.records);
        Ok(Self {
            tools,
            groups: compiled_groups.into(),
            tenants,
            unlisted: policy.unlisted_tenants.unwrap_or(default_unlisted),
            unlisted_is_own: policy.unlisted_tenants.is_some(),
            tools_index,
            tool_names,
            wide: t.wide,
            arena,
            base,
            long_runs: t.long_runs,
            glob_bits: t.globs.len() <= GLOB_BITS,
            globs: t.globs.into(),
            glob_refs: t.glob_refs.into(),
        })
    }
}

/// Every tenant the server lists, in first-seen order: its member rules and the indexes
/// of its groups (ascending).
fn listed<'a>(
    policy: &'a ServerPolicy,
    groups: &[(&str, Scope<'_>)],
    group_tenants: &FxHashMap<&str, Vec<&'a str>>,
) -> Result<Vec<Listed<'a>>, Error> {
    let mut listed: Vec<Listed<'a>> = Vec::new();
    let mut position: FxHashMap<&str, usize> = FxHashMap::default();
    let mut slot = |tenant: &'a str, listed: &mut Vec<Listed<'a>>| {
        *position.entry(tenant).or_insert_with(|| {
            listed.push((tenant, None, Vec::new()));
            listed.len() - 1
        })
    };
    for (group, (name, _)) in groups.iter().enumerate() {
        for &tenant in &group_tenants[name] {
            let i = slot(tenant, &mut listed);
            listed[i].2.push(index(group)?);
        }
    }
    let mut seen = FxHashSet::default();
    for (tenant, rules) in &policy.members {
        if tenant.is_empty() {
            return Err(Error::empty_name("tenant id").at("member \"\""));
        }
        if !seen.insert(tenant.as_str()) {
            return Err(Error::duplicate(format!("member {tenant:?}")));
        }
        let i = slot(tenant, &mut listed);
        listed[i].1 = Some(rules);
    }
    Ok(listed)
}

/// `records` copied into a buffer where they start on a cache-line boundary in memory;
/// returns the buffer and the offset they start at.
fn aligned(records: &[u8]) -> (Vec<u8>, usize) {
    let mut arena = Vec::with_capacity(records.len() + LINE);
    let address = arena.as_ptr() as usize;
    let pad = address.next_multiple_of(LINE) - address;
    arena.resize(pad, 0);
    arena.extend_from_slice(records);
    (arena, pad)
}
