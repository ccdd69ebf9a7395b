//! Raw model → typed sections. Checks what is cheap and obvious and reports every
//! problem with its YAML path; nothing stops at the first one.

mod auth;
mod auth_methods;
mod operations;
mod servers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hangar_policy::Pattern;

use crate::config::Config;
use crate::env::Environment;
use crate::error::Reporter;
use crate::model::{Secret, ToolAccess};
use crate::path::YamlPath;
use crate::raw::{Flag, RawConfig, RawToolAccess, Text};
use crate::url;

/// What validation needs besides the raw model.
pub(crate) struct Validator<'r, 'a> {
    pub(crate) reporter: &'r mut Reporter<'a>,
    /// The directory relative paths are resolved against (the config file's).
    pub(crate) base_dir: Option<&'a Path>,
    /// For `~/` in paths.
    pub(crate) env: &'a dyn Environment,
    /// The order `mcp_servers` keys are written in.
    pub(crate) server_order: &'a [String],
}

impl Validator<'_, '_> {
    /// Validates everything; problems go to the reporter. The returned config is only
    /// meaningful when nothing was reported.
    pub(crate) fn config(&mut self, raw: RawConfig) -> Config {
        let root = YamlPath::root();
        let data_dir = raw
            .data_dir
            .and_then(|d| self.path_value(&root.key("data_dir"), d));
        let tool_access = self.tool_access(
            &root.key("tool_access"),
            raw.tool_access.unwrap_or_default(),
        );
        let auth = self.auth(&root.key("auth"), raw.auth.unwrap_or_default());
        let mcp_servers = self.servers(
            &root.key("mcp_servers"),
            raw.mcp_servers.unwrap_or_default(),
            &tool_access,
        );
        let tls = raw.tls.and_then(|t| self.tls(&root.key("tls"), t));
        if tls.is_none() && auth.mtls.as_ref().is_some_and(|m| m.enabled) {
            self.report(
                &root.key("auth").key("mtls"),
                "mTLS needs the TLS listener: add a `tls` section with cert_file and key_file",
            );
        }
        let rate_limits = raw
            .rate_limits
            .and_then(|r| self.rate_limits(&root.key("rate_limits"), r));
        let audit = raw.audit.and_then(|a| self.audit(&root.key("audit"), a));
        let metrics = self.metrics(&root.key("metrics"), raw.metrics.unwrap_or_default());
        Config {
            data_dir,
            tool_access,
            auth,
            mcp_servers,
            tls,
            rate_limits,
            audit,
            metrics,
        }
    }

    fn report(&mut self, path: &YamlPath, message: impl Into<String>) {
        self.reporter.report(path, message);
    }

    // ---- sections -------------------------------------------------------------------

    fn tool_access(&mut self, path: &YamlPath, raw: RawToolAccess) -> ToolAccess {
        let mut groups = BTreeMap::new();
        let groups_path = path.key("groups");
        for (name, tenants) in raw.groups.unwrap_or_default() {
            let group_path = groups_path.key(&name);
            if name.trim().is_empty() {
                self.report(&group_path, "empty group name");
            }
            let tenants = self.names(&group_path, Some(tenants), "tenant id");
            groups.insert(name, tenants);
        }
        ToolAccess {
            mode: raw.mode.unwrap_or_default(),
            unlisted_tenants: raw.unlisted_tenants.unwrap_or_default(),
            groups,
        }
    }

    // ---- values ---------------------------------------------------------------------

    /// Whether a problem was already reported at `path` or below (avoids saying
    /// "missing" about a value that was there but invalid).
    fn reported_under(&self, path: &YamlPath) -> bool {
        let rendered = path.to_string();
        self.reporter
            .diagnostics
            .iter()
            .any(|d| d.path() == rendered || d.path().starts_with(&format!("{rendered}.")))
    }

    /// Reports a missing key, unless a problem was already reported there (a value that
    /// was written but rejected is not also "missing").
    fn missing(&mut self, path: &YamlPath, message: impl Into<String>) {
        if !self.reported_under(path) {
            self.report(path, message);
        }
    }

    /// A required, non-empty string at `parent.key`.
    fn required(
        &mut self,
        parent: &YamlPath,
        key: &str,
        value: Option<Text>,
        why: &str,
    ) -> Option<String> {
        let path = parent.key(key);
        match value {
            None => {
                self.missing(&path, format!("missing key {key:?}{why}"));
                None
            }
            Some(Text(text)) if text.trim().is_empty() => {
                self.report(&path, "must not be empty");
                None
            }
            Some(Text(text)) => Some(text),
        }
    }

    /// An optional string that must not be empty when written.
    fn optional_name(&mut self, path: &YamlPath, value: Option<Text>) -> Option<String> {
        let Text(text) = value?;
        if text.trim().is_empty() {
            self.report(path, "must not be empty");
            return None;
        }
        Some(text)
    }

    /// An optional secret that must not be empty when written.
    fn secret(&mut self, path: &YamlPath, value: Option<Text>) -> Option<Secret> {
        let Text(text) = value?;
        if text.is_empty() {
            self.report(
                path,
                "must not be empty (is the environment variable set to \"\"?)",
            );
            return None;
        }
        Some(Secret::new(text))
    }

    /// A list of non-empty names (tenant ids, roles, subjects).
    fn names(&mut self, path: &YamlPath, list: Option<Vec<Text>>, what: &str) -> Vec<String> {
        let mut names = Vec::new();
        for (i, Text(name)) in list.unwrap_or_default().into_iter().enumerate() {
            if name.trim().is_empty() {
                self.report(&path.index(i), format!("empty {what}"));
            }
            names.push(name);
        }
        names
    }

    /// OAuth scope tokens: non-empty, no spaces.
    fn scopes(&mut self, path: &YamlPath, list: Option<Vec<Text>>) -> Vec<String> {
        let mut scopes = Vec::new();
        for (i, Text(scope)) in list.unwrap_or_default().into_iter().enumerate() {
            if scope.is_empty() {
                self.report(&path.index(i), "empty scope");
            } else if scope
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '\\')
            {
                self.report(
                    &path.index(i),
                    format!("invalid scope {scope:?}: no spaces, quotes or backslashes"),
                );
            }
            scopes.push(scope);
        }
        scopes
    }

    /// Tool-name patterns, each checked with [`Pattern::new`].
    fn patterns(&mut self, path: &YamlPath, list: Option<Vec<Text>>) -> Vec<String> {
        let mut patterns = Vec::new();
        for (i, Text(pattern)) in list.unwrap_or_default().into_iter().enumerate() {
            if let Err(error) = Pattern::new(&pattern) {
                self.report(&path.index(i), error.to_string());
            }
            patterns.push(pattern);
        }
        patterns
    }

    /// A file or directory path: `~/` is the home directory, a relative path is relative
    /// to the config file's directory.
    fn path_value(&mut self, path: &YamlPath, Text(text): Text) -> Option<PathBuf> {
        if text.trim().is_empty() {
            self.report(path, "empty path");
            return None;
        }
        if let Some(rest) = text.strip_prefix("~/") {
            return match self.env.var("HOME") {
                Some(home) if !home.is_empty() => Some(Path::new(&home).join(rest)),
                _ => {
                    self.report(path, "cannot expand \"~\": HOME is not set");
                    None
                }
            };
        }
        let path_buf = PathBuf::from(&text);
        match self.base_dir {
            Some(base) if path_buf.is_relative() => Some(base.join(path_buf)),
            _ => Some(path_buf),
        }
    }

    /// An issuer or introspection URL: https, or http on a loopback host; no query,
    /// fragment or credentials.
    fn issuer_url(&mut self, path: &YamlPath, Text(text): Text) -> Option<String> {
        let problem = match url::parse_url(&text) {
            Err(problem) => Some(problem),
            Ok(url) if url.query_or_fragment => {
                Some("must not contain a query or fragment".to_owned())
            }
            Ok(url) if url.scheme == "http" && !url::is_loopback(url.host) => Some(format!(
                "{text:?} must use https (plain http is accepted only for loopback hosts: 127.0.0.1, localhost, [::1])"
            )),
            Ok(_) => None,
        };
        self.url_result(path, text, problem)
    }

    /// This gateway's resource identifier: http(s), no fragment, no credentials.
    fn resource_url(&mut self, path: &YamlPath, Text(text): Text) -> Option<String> {
        let problem = match url::parse_url(&text) {
            Err(problem) => Some(problem),
            Ok(_) if text.contains('#') => Some("must not contain a fragment".to_owned()),
            Ok(_) => None,
        };
        self.url_result(path, text, problem)
    }

    /// A back end's endpoint: http(s), no credentials.
    fn endpoint_url(&mut self, path: &YamlPath, Text(text): Text) -> Option<String> {
        let problem = url::parse_url(&text).err();
        self.url_result(path, text, problem)
    }

    fn url_result(
        &mut self,
        path: &YamlPath,
        text: String,
        problem: Option<String>,
    ) -> Option<String> {
        match problem {
            Some(problem) => {
                self.report(path, problem);
                None
            }
            None => Some(text),
        }
    }
}

fn flag(value: Option<Flag>) -> bool {
    value.is_some_and(|f| f.0)
}
