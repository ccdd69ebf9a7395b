//! `mcp_servers`: transports, tool rules, projections.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Validator;
use crate::model::{
    McpServer, Secret, ServerMode, ServerOAuth, ServerTimeouts, ServerToolAccess, TenantProjection,
    ToolAccess, ToolList, ToolProjection, Transport,
};
use crate::path::YamlPath;
use crate::raw::{
    Count, RawProjection, RawServer, RawServerOAuth, RawServerToolAccess, RawToolList, Text,
};

/// Header names the gateway's transport sets itself; a server's `headers` may not.
const RESERVED_HEADERS: [&str; 10] = [
    "accept",
    "content-type",
    "content-length",
    "host",
    "connection",
    "transfer-encoding",
    "mcp-session-id",
    "mcp-protocol-version",
    "mcp-method",
    "mcp-name",
];

/// The largest `timeout_seconds` / `connect_timeout_seconds`: one day.
const MAX_TIMEOUT_SECONDS: u64 = 86_400;

impl Validator<'_, '_> {
    pub(super) fn servers(
        &mut self,
        path: &YamlPath,
        mut raw: BTreeMap<String, RawServer>,
        tool_access: &ToolAccess,
    ) -> Vec<McpServer> {
        // As written in the file; servers only the environment added come last.
        let mut ordered: Vec<(String, RawServer)> = Vec::with_capacity(raw.len());
        for name in self.server_order {
            if let Some(server) = raw.remove(name) {
                ordered.push((name.clone(), server));
            }
        }
        ordered.extend(raw);
        ordered
            .into_iter()
            .map(|(name, server)| self.server(&path.key(&name), name, server, tool_access))
            .collect()
    }

    fn server(
        &mut self,
        path: &YamlPath,
        name: String,
        raw: RawServer,
        tool_access: &ToolAccess,
    ) -> McpServer {
        if name.is_empty() {
            self.report(path, "empty server name");
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            self.report(
                path,
                format!(
                    "invalid server name {name:?}: use only letters, digits, \"_\", \".\" and \"-\""
                ),
            );
        }
        let transport = self.transport(path, &raw);
        let timeouts = ServerTimeouts {
            request: self.timeout(
                &path.key("timeout_seconds"),
                raw.timeout_seconds,
                ServerTimeouts::DEFAULT_REQUEST,
            ),
            connect: self.timeout(
                &path.key("connect_timeout_seconds"),
                raw.connect_timeout_seconds,
                ServerTimeouts::DEFAULT_CONNECT,
            ),
        };
        let tools = raw.tools.map(|t| self.tool_list(&path.key("tools"), t));
        let tool_access = self.server_tool_access(
            &path.key("tool_access"),
            raw.tool_access.unwrap_or_default(),
            tool_access,
        );
        let tool_projection = self.projection(
            &path.key("tool_projection"),
            raw.tool_projection.unwrap_or_default(),
        );
        McpServer {
            name,
            transport,
            description: raw.description.map(|t| t.0),
            tools,
            tool_access,
            tool_projection,
            timeouts,
            protocol_version: raw.protocol_version.unwrap_or_default(),
            max_concurrency: self.positive(&path.key("max_concurrency"), raw.max_concurrency),
        }
    }

    fn timeout(&mut self, path: &YamlPath, value: Option<Count>, default: Duration) -> Duration {
        match value {
            None => default,
            Some(Count(0)) => {
                self.report(path, "must be at least 1 (seconds)");
                default
            }
            Some(Count(n)) if n > MAX_TIMEOUT_SECONDS => {
                self.report(
                    path,
                    format!("must be at most {MAX_TIMEOUT_SECONDS} (seconds)"),
                );
                default
            }
            Some(Count(n)) => Duration::from_secs(n),
        }
    }

    /// `headers`: valid, distinct (case-insensitively) names the transport does not
    /// set itself; values that are valid header values (no line breaks).
    fn headers(
        &mut self,
        path: &YamlPath,
        raw: Option<BTreeMap<String, Text>>,
    ) -> Vec<(String, Secret)> {
        let mut headers: Vec<(String, Secret)> = Vec::new();
        for (name, Text(value)) in raw.unwrap_or_default() {
            let header_path = path.key(&name);
            let lower = name.to_ascii_lowercase();
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                self.report(&header_path, format!("invalid header name {name:?}"));
                continue;
            }
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                self.report(
                    &header_path,
                    format!("header {name} is set by the gateway itself"),
                );
                continue;
            }
            if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                self.report(
                    &header_path,
                    format!("duplicate header {name} (names are case-insensitive)"),
                );
                continue;
            }
            if value.is_empty() {
                self.report(
                    &header_path,
                    "must not be empty (is the environment variable set to \"\"?)",
                );
                continue;
            }
            if value
                .bytes()
                .any(|b| b == b'\r' || b == b'\n' || b == 0 || b == 0x7f)
            {
                self.report(
                    &header_path,
                    "header value contains a line break or control character",
                );
                continue;
            }
            headers.push((name, Secret::new(value)));
        }
        headers
    }

    fn oauth(&mut self, path: &YamlPath, raw: RawServerOAuth) -> Option<ServerOAuth> {
        let why = " (required for oauth)";
        let token_url = match raw.token_url {
            Some(t) => self.issuer_url(&path.key("token_url"), t),
            None => {
                self.missing(
                    &path.key("token_url"),
                    format!("missing key \"token_url\"{why}"),
                );
                None
            }
        };
        let client_id = self.required(path, "client_id", raw.client_id, why);
        let client_secret = match raw.client_secret {
            Some(t) => self.secret(&path.key("client_secret"), Some(t)),
            None => {
                self.missing(
                    &path.key("client_secret"),
                    format!("missing key \"client_secret\"{why}"),
                );
                None
            }
        };
        let mut scopes = Vec::new();
        for (i, Text(scope)) in raw.scopes.unwrap_or_default().into_iter().enumerate() {
            if scope.is_empty() || scope.contains(char::is_whitespace) {
                self.report(
                    &path.key("scopes").index(i),
                    "a scope must be one non-empty word",
                );
            } else {
                scopes.push(scope);
            }
        }
        Some(ServerOAuth {
            token_url: token_url?,
            client_id: client_id?,
            client_secret: client_secret?,
            scopes,
        })
    }

    fn transport(&mut self, path: &YamlPath, raw: &RawServer) -> Transport {
        let forbid = |this: &mut Self, key: &str, present: bool, mode: &str| {
            if present {
                this.report(
                    &path.key(key),
                    format!("not allowed for a {mode} server (mode: {mode})"),
                );
            }
        };
        match raw.mode {
            Some(ServerMode::Remote) => {
                forbid(self, "command", raw.command.is_some(), "remote");
                forbid(self, "args", raw.args.is_some(), "remote");
                forbid(self, "env", raw.env.is_some(), "remote");
                let ca_file = raw
                    .ca_file
                    .clone()
                    .and_then(|f| self.path_value(&path.key("ca_file"), f));
                let headers = self.headers(&path.key("headers"), raw.headers.clone());
                let oauth = raw
                    .oauth
                    .as_ref()
                    .and_then(|o| self.oauth(&path.key("oauth"), o.clone()));
                if oauth.is_some()
                    && let Some((name, _)) = headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                {
                    self.report(
                        &path.key("headers").key(name),
                        "an Authorization header and oauth cannot both be set",
                    );
                }
                let endpoint = match &raw.endpoint {
                    Some(t) => self.endpoint_url(&path.key("endpoint"), t.clone()),
                    None => {
                        self.missing(
                            &path.key("endpoint"),
                            "missing key \"endpoint\" (required for a remote server)",
                        );
                        None
                    }
                };
                Transport::Remote {
                    endpoint: endpoint.unwrap_or_default(),
                    headers,
                    oauth,
                    ca_file,
                }
            }
            Some(ServerMode::Stdio) => {
                forbid(self, "endpoint", raw.endpoint.is_some(), "stdio");
                forbid(self, "headers", raw.headers.is_some(), "stdio");
                forbid(self, "oauth", raw.oauth.is_some(), "stdio");
                forbid(self, "ca_file", raw.ca_file.is_some(), "stdio");
                forbid(
                    self,
                    "protocol_version",
                    raw.protocol_version.is_some(),
                    "stdio",
                );
                let command = self.required(
                    path,
                    "command",
                    raw.command.clone(),
                    " (required for a stdio server)",
                );
                let args = raw
                    .args
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| t.0)
                    .collect();
                let mut env = BTreeMap::new();
                for (key, Text(value)) in raw.env.clone().unwrap_or_default() {
                    if key.is_empty() || key.contains('=') || key.contains('\0') {
                        self.report(
                            &path.key("env").key(&key),
                            "invalid environment variable name",
                        );
                    }
                    env.insert(key, Secret::new(value));
                }
                Transport::Stdio {
                    command: command.unwrap_or_default(),
                    args,
                    env,
                }
            }
            None => {
                self.missing(
                    &path.key("mode"),
                    "missing key \"mode\", expected \"remote\" or \"stdio\"",
                );
                Transport::Remote {
                    endpoint: String::new(),
                    headers: Vec::new(),
                    oauth: None,
                    ca_file: None,
                }
            }
        }
    }

    fn server_tool_access(
        &mut self,
        path: &YamlPath,
        raw: RawServerToolAccess,
        global: &ToolAccess,
    ) -> ServerToolAccess {
        let mut groups = BTreeMap::new();
        for (group, rules) in raw.groups.unwrap_or_default() {
            let group_path = path.key("groups").key(&group);
            if !global.groups.contains_key(&group) {
                self.report(
                    &group_path,
                    format!("unknown tenant group {group:?} (define it under tool_access.groups)"),
                );
            }
            let rules = self.tool_list(&group_path, rules);
            groups.insert(group, rules);
        }
        let mut member = BTreeMap::new();
        for (tenant, rules) in raw.member.unwrap_or_default() {
            let tenant_path = path.key("member").key(&tenant);
            if tenant.trim().is_empty() {
                self.report(&tenant_path, "empty tenant id");
            }
            let rules = self.tool_list(&tenant_path, rules);
            member.insert(tenant, rules);
        }
        ServerToolAccess {
            unlisted_tenants: raw.unlisted_tenants,
            groups,
            member,
        }
    }

    fn projection(&mut self, path: &YamlPath, raw: RawProjection) -> ToolProjection {
        let withdrawn = self.patterns(&path.key("withdrawn"), raw.withdrawn);
        let mut tenant_overrides = BTreeMap::new();
        for (tenant, entry) in raw.tenant_overrides.unwrap_or_default() {
            let tenant_path = path.key("tenant_overrides").key(&tenant);
            if tenant.trim().is_empty() {
                self.report(&tenant_path, "empty tenant id");
            }
            let withdrawn = self.patterns(&tenant_path.key("withdrawn"), entry.withdrawn);
            tenant_overrides.insert(tenant, TenantProjection { withdrawn });
        }
        ToolProjection {
            withdrawn,
            tenant_overrides,
        }
    }

    fn tool_list(&mut self, path: &YamlPath, raw: RawToolList) -> ToolList {
        ToolList {
            allow_list: raw
                .allow_list
                .map(|list| self.patterns(&path.key("allow_list"), Some(list))),
            deny_list: self.patterns(&path.key("deny_list"), raw.deny_list),
        }
    }
}

/// RFC 9110 `tchar`: the bytes of a header name.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
