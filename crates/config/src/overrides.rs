//! `HANGAR_*` environment overrides, merged over the file through figment.
//!
//! `HANGAR_TOOL_ACCESS__MODE=front_door` sets `tool_access.mode`: the prefix is removed,
//! `__` separates levels, names are lowercased. Only variables whose first level is a
//! top-level key of the config are taken: `HANGAR_ADMIN_KEY` and friends are there for
//! `${...}` interpolation and are ignored here. Values use figment's syntax: `true`,
//! `42`, `[a, b]`, `{key = value}`, anything else a string.

use figment::value::{Dict, Value};
use figment::{Metadata, Profile, Provider};

use crate::env::Environment;
use crate::path::{Segment, YamlPath};
use crate::raw::TOP_LEVEL_KEYS;

/// The prefix of override variables.
pub(crate) const PREFIX: &str = "HANGAR_";

/// The overrides found in an environment.
#[derive(Debug, Default)]
pub(crate) struct Overrides {
    /// The values, nested like the file.
    pub(crate) root: Dict,
    /// Which variable set which path, in the order applied.
    pub(crate) sources: Vec<(YamlPath, String)>,
    /// Variables that look like overrides but cannot be applied (an empty level).
    pub(crate) problems: Vec<(String, String)>,
}

impl Overrides {
    /// Reads the `HANGAR_*` variables of `env` (sorted by name, so a variable for a
    /// whole section is applied before the ones for its keys).
    pub(crate) fn from_env(env: &dyn Environment) -> Self {
        let mut vars: Vec<(String, String)> = env
            .vars()
            .into_iter()
            .filter(|(name, _)| name.starts_with(PREFIX))
            .collect();
        vars.sort();
        let mut overrides = Self::default();
        for (name, raw) in vars {
            let levels: Vec<String> = name[PREFIX.len()..]
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect();
            if !TOP_LEVEL_KEYS.contains(&levels[0].as_str()) {
                continue;
            }
            if levels.iter().any(String::is_empty) {
                overrides.problems.push((
                    name,
                    "empty level in override variable name (levels are separated by exactly \"__\")"
                        .to_owned(),
                ));
                continue;
            }
            let value: Value = raw.parse().unwrap_or_else(|_| Value::from(raw.clone()));
            insert(&mut overrides.root, &levels, value);
            let mut path = YamlPath::root();
            for level in &levels {
                path.push(Segment::Key(level.clone()));
            }
            overrides.sources.push((path, name));
        }
        overrides
    }

    /// The variable that set `path` or one of its ancestors, if any (the last applied).
    pub(crate) fn source_of(&self, path: &YamlPath) -> Option<&str> {
        self.sources
            .iter()
            .rev()
            .find(|(set, _)| path.starts_with(set))
            .map(|(_, name)| name.as_str())
    }
}

fn insert(dict: &mut Dict, levels: &[String], value: Value) {
    let Some((first, rest)) = levels.split_first() else {
        return;
    };
    if rest.is_empty() {
        dict.insert(first.clone(), value);
        return;
    }
    let entry = dict
        .entry(first.clone())
        .or_insert_with(|| Value::from(Dict::new()));
    if !matches!(entry, Value::Dict(..)) {
        *entry = Value::from(Dict::new());
    }
    if let Value::Dict(_, inner) = entry {
        insert(inner, rest, value);
    }
}

/// A figment provider serving the overrides in the default profile.
#[derive(Debug)]
pub(crate) struct OverridesProvider<'a>(pub(crate) &'a Overrides);

impl Provider for OverridesProvider<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::named("HANGAR_* environment variables")
    }

    fn data(&self) -> Result<figment::value::Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.0.root.clone()))
    }
}
