//! The process environment, read through a trait so tests can replace it with a map.

use std::collections::BTreeMap;

/// Where `${VAR}` values and `HANGAR_*` overrides come from.
///
/// [`ProcessEnvironment`] reads the real environment; [`MapEnvironment`] is a fixed map
/// for tests and embedders. The environment is read once, while a config is loaded.
pub trait Environment {
    /// The value of one variable, if it is set (and valid UTF-8).
    fn var(&self, name: &str) -> Option<String>;
    /// Every variable that is set (and valid UTF-8), in any order.
    fn vars(&self) -> Vec<(String, String)>;
}

/// The environment of the running process (`std::env`). Variables whose name or value
/// is not valid UTF-8 are treated as unset.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn vars(&self) -> Vec<(String, String)> {
        std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .collect()
    }
}

/// A fixed set of variables, for tests and for embedders that do not want the process
/// environment.
///
/// ```
/// use hangar_config::{Environment, MapEnvironment};
///
/// let env = MapEnvironment::new().with("HANGAR_ADMIN_KEY", "s3cret");
/// assert_eq!(env.var("HANGAR_ADMIN_KEY").as_deref(), Some("s3cret"));
/// assert_eq!(env.var("HOME"), None);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MapEnvironment {
    vars: BTreeMap<String, String>,
}

impl MapEnvironment {
    /// No variables at all.
    pub fn new() -> Self {
        Self::default()
    }

    /// This environment plus one variable (replacing a previous value).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets one variable.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }
}

impl std::fmt::Debug for MapEnvironment {
    // Values are often secrets: show only the names.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapEnvironment")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for MapEnvironment {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            vars: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl Environment for MapEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn vars(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
