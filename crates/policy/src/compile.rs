//! The compiled form of a policy, laid out so that a decision touches few cache lines
//! and never allocates.
//!
//! Per server:
//! - exact tool names of every list are interned to tool ids. Looking a tool up gives
//!   its id and a mask with two bits (in the allow list, in the deny list) for each
//!   shared scope: the server-level rules and up to 31 groups, so those scopes cost no
//!   further probe;
//! - a member scope keeps its exact names as one sorted run of
//!   `id << 2 | in_allow | in_deny << 1` keys (16-bit when the server has fewer than
//!   2^14 tool names), searched with a branch-free count; runs longer than
//!   [`INLINE_RUN`] go to one hash table keyed by (run, tool id);
//! - globs are interned too, and lists refer to them in list order. When the server has
//!   at most 64 distinct globs, a tool record also carries which of them match the
//!   tool's name, so a tool named anywhere on the server is never matched against a
//!   glob at decision time;
//! - listed tenants are found by the hash of their id, which maps to a compact record in
//!   the `records` arena: a 24-byte header, the tenant id (to check it), then the
//!   member's run. The header and id never straddle a cache line, so a tenant costs one
//!   or two lines, and the whole table stays small enough to stay in cache.

use rustc_hash::FxHashMap;

use crate::{Pattern, UnlistedTenants};

mod builder;
mod index;

use index::RecordIndex;

/// Runs up to this long are stored inline and searched by counting.
const INLINE_RUN: usize = 48;

/// Bytes of a tenant record before its id: id length (`u16`), group count (`u16`),
/// member rules. The id is followed by the group indexes (`u16` each).
const HEADER: usize = 4 + RULES;

/// Bytes of a tool record before its name: name length (`u16`), padding, id (`u32`),
/// mask (`u64`), matching globs (`u64`).
const TOOL_HEADER: usize = 24;

/// Up to this many distinct globs, tool records carry which globs match them.
const GLOB_BITS: usize = 64;

/// Bytes of encoded [`Rules`].
const RULES: usize = 16;

/// The cache-line size the records are laid out for.
const LINE: usize = 64;

/// Shared scopes whose exact names live in the tool mask: the server-level rules and
/// the first 31 groups.
const MASK_SCOPES: usize = 32;

/// Run-key flags: the tool is in the allow list, in the deny list.
const IN_ALLOW: u32 = 1;
const IN_DENY: u32 = 2;

/// [`Rules`] flags.
const HAS_ALLOW: u8 = 1;
const ALLOW_EMPTY: u8 = 2;
const DENY_EMPTY: u8 = 4;
/// Set in every encoded [`Rules`], so that an all-zero encoding means "no member rules".
const PRESENT: u8 = 0x80;

/// A range of an arena.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

/// Which list of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Allow,
    Deny,
}

/// Where a scope's exact names are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// No exact names.
    Empty,
    /// `len` keys at byte `start` of the records.
    Inline(Span),
    /// In [`Server::long_runs`] under this run number.
    Hashed(u32),
    /// In the tool's mask, at this shift.
    Mask(u32),
}

/// The compiled rules of one scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rules {
    run: Run,
    /// Glob ids in [`Server::glob_refs`] from here: those of the allow list, then those
    /// of the deny list.
    globs: u32,
    allow_globs: u16,
    deny_globs: u16,
    flags: u8,
}

impl Rules {
    pub(crate) fn has_allow_list(&self) -> bool {
        self.flags & HAS_ALLOW != 0
    }

    /// Whether the list is absent or has no pattern.
    pub(crate) fn is_empty(&self, which: Which) -> bool {
        match which {
            Which::Allow => !self.has_allow_list() || self.flags & ALLOW_EMPTY != 0,
            Which::Deny => self.flags & DENY_EMPTY != 0,
        }
    }

    fn encode(&self) -> [u8; RULES] {
        let (kind, len, a) = match self.run {
            Run::Empty => (0, 0, 0),
            Run::Inline(span) => (1, span.len as u16, span.start),
            Run::Hashed(run) => (2, 0, run),
            Run::Mask(shift) => (3, 0, shift),
        };
        let mut out = [0; RULES];
        out[0] = kind;
        out[1] = self.flags | PRESENT;
        out[2..4].copy_from_slice(&len.to_le_bytes());
        out[4..8].copy_from_slice(&a.to_le_bytes());
        out[8..12].copy_from_slice(&self.globs.to_le_bytes());
        out[12..14].copy_from_slice(&self.allow_globs.to_le_bytes());
        out[14..16].copy_from_slice(&self.deny_globs.to_le_bytes());
        out
    }

    /// The rules encoded at the start of `b`, if any.
    #[inline(always)]
    fn decode(b: &[u8]) -> Option<Self> {
        if b[1] & PRESENT == 0 {
            return None;
        }
        let a = word(b, 4);
        let run = match b[0] {
            0 => Run::Empty,
            1 => Run::Inline(Span {
                start: a,
                len: u32::from(half(b, 2)),
            }),
            2 => Run::Hashed(a),
            _ => Run::Mask(a),
        };
        Some(Self {
            run,
            globs: word(b, 8),
            allow_globs: half(b, 12),
            deny_globs: half(b, 14),
            flags: b[1] & !PRESENT,
        })
    }
}

/// A listed tenant on one server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Listed<'p> {
    /// The tenant id, as stored in the policy (see [`Listed::tenant`]).
    name: &'p [u8],
    pub(crate) groups: Groups<'p>,
    pub(crate) member: Option<Rules>,
}

/// The groups of a listed tenant: indexes into [`Server::groups`], ascending (so in
/// group-name order).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Groups<'p>(&'p [u8]);

impl<'p> Groups<'p> {
    #[inline(always)]
    pub(crate) fn iter(self) -> impl Iterator<Item = usize> + Clone + 'p {
        self.0
            .chunks_exact(2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    }
}

impl<'p> Listed<'p> {
    /// The tenant id, as stored in the policy. Converted only when a rule names it.
    pub(crate) fn tenant(&self) -> &'p str {
        // Never empty in practice: the bytes equal the `&str` the tenant was looked up by.
        std::str::from_utf8(self.name).unwrap_or_default()
    }
}

/// A tool named by some exact pattern on a server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tool<'p> {
    id: u32,
    /// Run flags of the shared scopes, two bits each (see [`Run::Mask`]).
    mask: u64,
    /// Bit `g` set: glob `g` matches the tool (only when [`Server::glob_bits`]).
    globs: u64,
    /// The name as stored in the policy.
    name: &'p str,
}

/// A tool looked up on a server: `None` when no exact pattern names it.
pub(crate) type ToolId<'p> = Option<Tool<'p>>;

/// One compiled server.
pub(crate) struct Server {
    pub(crate) tools: Option<Rules>,
    /// Group rules, sorted by group name.
    pub(crate) groups: Box<[(Box<str>, Rules)]>,
    /// Every listed tenant (a member entry, or a member of a group with rules here).
    tenants: RecordIndex,
    /// The effective unlisted-tenant setting.
    pub(crate) unlisted: UnlistedTenants,
    /// Whether `unlisted` is the server's own setting (not the policy-wide default).
    pub(crate) unlisted_is_own: bool,
    /// Exact tool names of every list → (id, mask, matching globs).
    tools_index: RecordIndex,
    /// Exact tool names by id.
    tool_names: Box<[Box<str>]>,
    /// Whether run keys are 32-bit (else 16-bit).
    wide: bool,
    /// Tenant records and runs, from byte `base` of `arena` (so that they are laid out
    /// on cache lines as planned).
    arena: Vec<u8>,
    base: usize,
    /// Long runs: (run << 32 | tool id) → flags.
    long_runs: FxHashMap<u64, u32>,
    /// Distinct globs.
    globs: Box<[Pattern]>,
    /// Glob ids of every list, in list order.
    glob_refs: Box<[u32]>,
    /// Whether tool records say which globs match them.
    glob_bits: bool,
}

/// The little-endian `u32` at byte `at`.
#[inline(always)]
fn word(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// The little-endian `u16` at byte `at`.
#[inline(always)]
fn half(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

impl std::fmt::Debug for Server {
    /// A summary: the arenas of a large policy are megabytes of numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("tools", &self.tools)
            .field("groups", &self.groups)
            .field("unlisted", &self.unlisted)
            .field("tool_names", &self.tool_names.len())
            .field(
                "globs",
                &self.globs.iter().map(Pattern::as_str).collect::<Vec<_>>(),
            )
            .field("record_bytes", &self.records().len())
            .finish_non_exhaustive()
    }
}

impl Server {
    #[inline(always)]
    fn records(&self) -> &[u8] {
        &self.arena[self.base..]
    }

    /// The listed tenant `tenant`, if it is listed.
    #[inline(always)]
    pub(crate) fn listed(&self, tenant: &str) -> Option<Listed<'_>> {
        let records = self.records();
        let (at, name) = self.tenants.find(tenant, records, HEADER)?;
        let record = &records[at..];
        let groups = HEADER + name.len();
        Some(Listed {
            name,
            groups: Groups(&record[groups..groups + 2 * usize::from(half(record, 2))]),
            member: Rules::decode(&record[4..HEADER]),
        })
    }

    /// The interned id and name of `tool`, if some exact pattern on this server names it.
    #[inline(always)]
    pub(crate) fn tool_id(&self, tool: &str) -> ToolId<'_> {
        let records = self.records();
        let (at, _) = self.tools_index.find(tool, records, TOOL_HEADER)?;
        let id = word(records, at + 4);
        let mask = u64::from(word(records, at + 8)) | u64::from(word(records, at + 12)) << 32;
        let globs = u64::from(word(records, at + 16)) | u64::from(word(records, at + 20)) << 32;
        Some(Tool {
            id,
            mask,
            globs,
            name: &self.tool_names[id as usize],
        })
    }

    /// The run flags of `tool` in `rules`: [`IN_ALLOW`], [`IN_DENY`], both or none.
    #[inline(always)]
    pub(crate) fn flags(&self, rules: &Rules, tool: ToolId<'_>) -> u32 {
        let Some(tool) = tool else { return 0 };
        match rules.run {
            Run::Empty => 0,
            Run::Mask(shift) => (tool.mask >> shift) as u32 & 3,
            Run::Inline(span) => {
                // Branch-free: the keys are sorted, so the count of smaller ones is the
                // index of the tool's key, if it is there.
                let first = tool.id << 2;
                let len = span.len as usize;
                let key = if self.wide {
                    let keys = &self.records()[span.start as usize..][..4 * len];
                    let words = keys
                        .chunks_exact(4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                    let i = words.filter(|&key| key < first).count();
                    if i < len { word(keys, 4 * i) } else { 0 }
                } else {
                    let keys = &self.records()[span.start as usize..][..2 * len];
                    let halves = keys
                        .chunks_exact(2)
                        .map(|b| u16::from_le_bytes([b[0], b[1]]));
                    let i = halves.filter(|&key| u32::from(key) < first).count();
                    if i < len {
                        u32::from(half(keys, 2 * i))
                    } else {
                        0
                    }
                };
                if key >> 2 == tool.id { key & 3 } else { 0 }
            }
            Run::Hashed(run) => {
                let key = u64::from(run) << 32 | u64::from(tool.id);
                self.long_runs.get(&key).copied().unwrap_or(0)
            }
        }
    }

    /// The pattern of one list of `rules` that matches `tool`: its exact name if the list
    /// names it (`flags` from [`Server::flags`]), else the first matching glob in list
    /// order.
    #[inline(always)]
    pub(crate) fn find<'p>(
        &'p self,
        rules: &Rules,
        which: Which,
        tool: &str,
        id: ToolId<'p>,
        flags: u32,
    ) -> Option<&'p str> {
        let (flag, globs) = match which {
            Which::Allow if !rules.has_allow_list() => return None,
            Which::Allow => (
                IN_ALLOW,
                rules.globs..rules.globs + u32::from(rules.allow_globs),
            ),
            Which::Deny => {
                let start = rules.globs + u32::from(rules.allow_globs);
                (IN_DENY, start..start + u32::from(rules.deny_globs))
            }
        };
        if let Some(id) = id
            && flags & flag != 0
        {
            return Some(id.name);
        }
        let refs = &self.glob_refs[globs.start as usize..globs.end as usize];
        let glob = match id {
            Some(id) if self.glob_bits => refs.iter().find(|&&g| id.globs >> g & 1 != 0),
            _ => refs.iter().find(|&&g| self.globs[g as usize].matches(tool)),
        };
        glob.map(|&g| self.globs[g as usize].as_str())
    }
}
