//! `mcp_servers`: transports, tool rules, projections.

use std::collections::BTreeMap;

use super::Validator;
use crate::model::{
    McpServer, Secret, ServerMode, ServerToolAccess, TenantProjection, ToolAccess, ToolList,
    ToolProjection, Transport,
};
use crate::path::YamlPath;
use crate::raw::{RawProjection, RawServer, RawServerToolAccess, RawToolList, Text};

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
        }
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
                }
            }
            Some(ServerMode::Stdio) => {
                forbid(self, "endpoint", raw.endpoint.is_some(), "stdio");
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
