//! hangar-config: loading, interpolation, overrides, diagnostics, policy compilation.

use std::path::PathBuf;

use hangar_config::{
    ApiKeySecret, Config, ConfigWithdrawal, Diagnostic, Error, MapEnvironment, ServerMode,
    Transport,
};
use hangar_policy::{Caller, Mode, UnlistedTenants};

const REFERENCE: &str = include_str!("fixtures/reference.yaml");
const AUTH: &str = include_str!("fixtures/auth.yaml");

fn env() -> MapEnvironment {
    MapEnvironment::new()
}

fn load(yaml: &str) -> Result<Config, Error> {
    Config::from_yaml_str(yaml, "config.yaml", &env())
}

fn load_env(yaml: &str, env: &MapEnvironment) -> Result<Config, Error> {
    Config::from_yaml_str(yaml, "config.yaml", env)
}

/// Every diagnostic of a failed load, as displayed.
fn problems(result: Result<Config, Error>) -> Vec<String> {
    match result {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(Error::Invalid { diagnostics }) => {
            diagnostics.iter().map(ToString::to_string).collect()
        }
        Err(other) => panic!("expected Error::Invalid, got {other:?} ({other})"),
    }
}

/// The only diagnostic of a failed load.
fn single(result: Result<Config, Error>) -> Diagnostic {
    match result {
        Err(Error::Invalid { diagnostics }) if diagnostics.len() == 1 => diagnostics[0].clone(),
        Err(error) => panic!("expected exactly one diagnostic, got: {error}"),
        Ok(config) => panic!("expected an error, got {config:?}"),
    }
}

mod auth;
mod backends;
mod operations;

mod reference {
    use super::*;

    #[test]
    fn behaviour_section_1_loads_unchanged() {
        let config = load(REFERENCE).unwrap();
        assert_eq!(config.data_dir, None);
        assert_eq!(config.tool_access.mode, Mode::FrontDoor);
        assert_eq!(
            config.tool_access.unlisted_tenants,
            UnlistedTenants::ServerPolicy
        );
        assert!(config.tool_access.groups.is_empty());

        assert!(config.auth.enabled);
        assert!(!config.auth.allow_anonymous);
        assert!(config.auth.api_keys.is_empty());
        let oidc = config.auth.oidc.as_ref().unwrap();
        assert!(oidc.enabled);
        assert_eq!(oidc.issuer.as_deref(), Some("https://auth.example.com"));
        assert_eq!(oidc.audience.as_deref(), Some("mcp-hangar"));
        assert_eq!(
            oidc.resource_uri.as_deref(),
            Some("https://hangar.example.com")
        );
        assert_eq!(oidc.tenant_claim, "tenant_id");
        assert!(config.auth.jwt.is_none());
        assert!(config.auth.introspection.is_none());
        assert!(config.auth.mtls.is_none());

        assert_eq!(config.mcp_servers.len(), 1);
        let payments = config.server("payments").unwrap();
        assert_eq!(payments.mode(), ServerMode::Remote);
        assert!(matches!(
            &payments.transport,
            Transport::Remote { endpoint, .. } if endpoint == "http://localhost:8080/mcp"
        ));
        assert_eq!(payments.description.as_deref(), Some("Payments backend"));
        assert!(payments.tools.is_none());
        let member = &payments.tool_access.member;
        assert_eq!(member["tenant:a"].deny_list, ["refund"]);
        assert_eq!(member["tenant:a"].allow_list, None);
        assert_eq!(
            member["tenant:b"].allow_list.as_deref(),
            Some(&["charge".to_owned(), "refund".to_owned()][..])
        );
        assert_eq!(payments.tool_projection.withdrawn, ["legacy_charge"]);
        assert_eq!(
            payments.tool_projection.tenant_overrides["tenant:a"].withdrawn,
            ["beta_tool"]
        );
    }

    #[test]
    fn behaviour_section_1_policy_decisions() {
        let policy = load(REFERENCE).unwrap().policy().unwrap();
        assert_eq!(policy.mode(), Mode::FrontDoor);
        let a = Caller::tenant("tenant:a");
        let b = Caller::tenant("tenant:b");
        assert!(!policy.decide(&a, "payments", "refund").is_allowed());
        assert!(policy.decide(&a, "payments", "charge").is_allowed());
        assert!(policy.decide(&b, "payments", "charge").is_allowed());
        assert!(policy.decide(&b, "payments", "refund").is_allowed());
        assert!(!policy.decide(&b, "payments", "other").is_allowed());
        // Fail-closed: no tenant, an unlisted tenant, an unknown server.
        assert!(
            !policy
                .decide(&Caller::anonymous(), "payments", "charge")
                .is_allowed()
        );
        assert!(
            !policy
                .decide(&Caller::tenant("tenant:c"), "payments", "charge")
                .is_allowed()
        );
        assert!(!policy.decide(&a, "billing", "charge").is_allowed());
        assert_eq!(policy.servers().collect::<Vec<_>>(), ["payments"]);
    }

    #[test]
    fn behaviour_section_1_withdrawals() {
        let config = load(REFERENCE).unwrap();
        let withdrawals: Vec<ConfigWithdrawal<'_>> = config.withdrawals().collect();
        assert_eq!(
            withdrawals,
            [
                ConfigWithdrawal {
                    server: "payments",
                    pattern: "legacy_charge",
                    tenant: None
                },
                ConfigWithdrawal {
                    server: "payments",
                    pattern: "beta_tool",
                    tenant: Some("tenant:a")
                },
            ]
        );
    }

    #[test]
    fn behaviour_section_2_auth_block_loads() {
        let env = env()
            .with("HANGAR_ADMIN_KEY", "admin-secret")
            .with("TENANT_C_KEY", "c-secret");
        let config = load_env(AUTH, &env).unwrap();
        assert_eq!(config.data_dir, Some(PathBuf::from("./hangar-data")));
        let keys = &config.auth.api_keys;
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].name, "ops-admin");
        assert!(matches!(&keys[0].secret, ApiKeySecret::Plain(s) if s.expose() == "admin-secret"));
        assert_eq!(keys[0].roles, ["admin"]);
        assert_eq!(keys[0].tenant_id, None);
        assert_eq!(keys[1].name, "tenant-c-agent");
        assert!(keys[1].roles.is_empty());
        assert_eq!(keys[1].tenant_id.as_deref(), Some("tenant:c"));
        let oidc = config.auth.oidc.as_ref().unwrap();
        assert_eq!(oidc.issuer.as_deref(), Some("http://127.0.0.1:9400"));
        assert_eq!(
            oidc.resource_uri.as_deref(),
            Some("http://127.0.0.1:8000/mcp")
        );
        assert!(config.mcp_servers.is_empty());
        // Policy of a config without servers: builds, denies everything in egress? No
        // servers means nothing to call.
        assert!(config.policy().is_ok());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let env = env()
            .with("HANGAR_ADMIN_KEY", "admin-secret")
            .with("TENANT_C_KEY", "c-secret");
        let config = load_env(AUTH, &env).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("admin-secret"), "{debug}");
        assert!(!debug.contains("c-secret"), "{debug}");
        assert!(debug.contains("<redacted>"));
        assert!(!format!("{env:?}").contains("admin-secret"));
    }

    #[test]
    fn load_from_a_file_resolves_relative_paths_against_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.yaml");
        std::fs::write(&file, "data_dir: ./state\n").unwrap();
        let config = Config::load_with(&file, &env()).unwrap();
        assert_eq!(config.data_dir, Some(dir.path().join("./state")));

        let error = Config::load_with(dir.path().join("missing.yaml"), &env()).unwrap_err();
        assert!(matches!(error, Error::Io { .. }));
        assert!(
            error.to_string().starts_with("cannot read config file "),
            "{error}"
        );

        std::fs::write(&file, "tool_access:\n  mode: frontdoor\n").unwrap();
        let error = Config::load_with(&file, &env()).unwrap_err();
        assert_eq!(error.diagnostics()[0].origin(), file.display().to_string());
        assert_eq!(error.diagnostics()[0].line(), Some(2));
    }

    #[test]
    fn home_in_paths() {
        let env = env().with("HOME", "/home/op");
        let config = load_env("data_dir: ~/hangar\n", &env).unwrap();
        assert_eq!(config.data_dir, Some(PathBuf::from("/home/op/hangar")));
        let d = single(load("data_dir: ~/hangar\n"));
        assert_eq!(d.path(), "data_dir");
    }

    #[test]
    fn empty_documents_are_empty_configs() {
        for text in ["", "# only a comment\n", "---\n", "~\n"] {
            let config = load(text).unwrap();
            assert_eq!(config.tool_access.mode, Mode::Egress);
            assert!(!config.auth.enabled);
            assert!(config.mcp_servers.is_empty());
        }
    }

    #[test]
    fn server_order_is_kept_and_every_server_is_in_the_policy() {
        let yaml = "\
mcp_servers:
  zeta: { mode: remote, endpoint: https://z.example/mcp }
  alpha: { mode: stdio, command: alpha-mcp, args: [--quiet], env: { PORT: 8080, TOKEN: x } }
  mid.v2: { mode: remote, endpoint: \"http://[::1]:9000/mcp\" }
";
        let config = load(yaml).unwrap();
        let names: Vec<&str> = config.mcp_servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha", "mid.v2"]);
        match &config.mcp_servers[1].transport {
            Transport::Stdio {
                command, args, env, ..
            } => {
                assert_eq!(command, "alpha-mcp");
                assert_eq!(args, &["--quiet"]);
                assert_eq!(env["PORT"].expose(), "8080");
            }
            other => panic!("{other:?}"),
        }
        let policy = config.policy().unwrap();
        let mut servers: Vec<&str> = policy.servers().collect();
        servers.sort_unstable();
        assert_eq!(servers, ["alpha", "mid.v2", "zeta"]);
        // Egress, no rules: allowed.
        assert!(
            policy
                .decide(&Caller::anonymous(), "alpha", "anything")
                .is_allowed()
        );
    }

    #[test]
    fn groups_and_server_rules_compile() {
        let yaml = "\
tool_access:
  mode: front_door
  unlisted_tenants: deny
  groups:
    ops: [\"tenant:o\"]
mcp_servers:
  payments:
    mode: remote
    endpoint: https://p.example/mcp
    tools: { allow_list: [\"charge*\", refund], deny_list: [charge_legacy] }
    tool_access:
      unlisted_tenants: server_policy
      groups:
        ops: { deny_list: [refund] }
";
        let config = load(yaml).unwrap();
        assert_eq!(config.tool_access.unlisted_tenants, UnlistedTenants::Deny);
        assert_eq!(config.tool_access.groups["ops"], ["tenant:o"]);
        let policy = config.policy().unwrap();
        let o = Caller::tenant("tenant:o");
        let x = Caller::tenant("tenant:x");
        assert!(policy.decide(&o, "payments", "charge_card").is_allowed());
        assert!(!policy.decide(&o, "payments", "refund").is_allowed());
        assert!(!policy.decide(&o, "payments", "charge_legacy").is_allowed());
        // The server overrides unlisted_tenants: deny with server_policy.
        assert!(policy.decide(&x, "payments", "refund").is_allowed());
    }
}

mod interpolation {
    use super::*;

    const KEYS: &str = "\
auth:
  api_keys:
    - name: admin
      key: ${ADMIN_KEY}
      roles: [\"${ROLE:-admin}\"]
";

    fn admin_key(config: &Config) -> &str {
        match &config.auth.api_keys[0].secret {
            ApiKeySecret::Plain(secret) => secret.expose(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn set_variable() {
        let config = load_env(KEYS, &env().with("ADMIN_KEY", "k1").with("ROLE", "ops")).unwrap();
        assert_eq!(admin_key(&config), "k1");
        assert_eq!(config.auth.api_keys[0].roles, ["ops"]);
    }

    #[test]
    fn default_when_unset_or_empty() {
        let config = load_env(KEYS, &env().with("ADMIN_KEY", "k1")).unwrap();
        assert_eq!(config.auth.api_keys[0].roles, ["admin"]);
        let config = load_env(KEYS, &env().with("ADMIN_KEY", "k1").with("ROLE", "")).unwrap();
        assert_eq!(config.auth.api_keys[0].roles, ["admin"]);
    }

    #[test]
    fn missing_variable_names_variable_and_path() {
        let d = single(load(KEYS));
        assert_eq!(d.line(), Some(4));
        assert_eq!(d.path(), "auth.api_keys[0].key");
        assert!(d.message().contains("\"ADMIN_KEY\" is not set"), "{d}");
        assert_eq!(
            d.to_string(),
            "config.yaml:4: auth.api_keys[0].key: environment variable \"ADMIN_KEY\" is not set \
             (write ${ADMIN_KEY:-default} to give a default)"
        );
    }

    #[test]
    fn every_missing_variable_is_reported() {
        let yaml = "auth:\n  jwt:\n    secret: ${A}\n    issuer: ${B}\n";
        let all = problems(load(yaml));
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all[0].starts_with("config.yaml:3: auth.jwt.secret: environment variable \"A\""));
        assert!(all[1].starts_with("config.yaml:4: auth.jwt.issuer: environment variable \"B\""));
    }

    #[test]
    fn escape_gives_a_literal() {
        let yaml = "mcp_servers:\n  s:\n    mode: stdio\n    command: sh\n    args: [-c, \"echo $${HOME} $$5\"]\n";
        let config = load(yaml).unwrap();
        match &config.mcp_servers[0].transport {
            Transport::Stdio { args, .. } => assert_eq!(args[1], "echo ${HOME} $$5"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_yaml_injection_from_a_variable() {
        let nasty = "x\nmode: stdio\ncommand: /bin/sh\n  tool_access: {member: {}}\nfoo: [bar";
        let yaml = "mcp_servers:\n  s:\n    mode: remote\n    endpoint: https://s.example/mcp\n    description: ${DESC}\n";
        let config = load_env(yaml, &env().with("DESC", nasty)).unwrap();
        let server = &config.mcp_servers[0];
        assert_eq!(server.description.as_deref(), Some(nasty));
        assert_eq!(server.mode(), ServerMode::Remote);

        // A colon and a flow indicator stay in the string.
        let config = load_env(KEYS, &env().with("ADMIN_KEY", "a: {b: c}, d")).unwrap();
        assert_eq!(admin_key(&config), "a: {b: c}, d");
    }

    #[test]
    fn booleans_and_numbers_from_variables() {
        let yaml =
            "auth:\n  enabled: ${AUTH_ON:-false}\n  jwt:\n    clock_skew_seconds: ${SKEW:-30}\n";
        let config = load_env(yaml, &env().with("AUTH_ON", "true")).unwrap();
        assert!(config.auth.enabled);
        assert_eq!(config.auth.jwt.as_ref().unwrap().clock_skew_seconds, 30);
        let d = single(load_env(yaml, &env().with("AUTH_ON", "yes")));
        assert_eq!(
            d.to_string(),
            "config.yaml:2: auth.enabled: expected a boolean, found string \"yes\""
        );
        // A numeric-looking secret is still a string.
        let config = load_env(KEYS, &env().with("ADMIN_KEY", "12345")).unwrap();
        assert_eq!(admin_key(&config), "12345");
    }

    #[test]
    fn keys_are_not_interpolated() {
        let yaml = "mcp_servers:\n  s:\n    mode: remote\n    endpoint: https://s.example/mcp\n    tool_access:\n      member:\n        \"${T}\": { deny_list: [x] }\n";
        let config = load_env(yaml, &env().with("T", "tenant:a")).unwrap();
        assert!(
            config.mcp_servers[0]
                .tool_access
                .member
                .contains_key("${T}")
        );
    }

    #[test]
    fn malformed_expressions() {
        let d = single(load("data_dir: ${UNCLOSED\n"));
        assert_eq!(d.path(), "data_dir");
        assert!(d.message().starts_with("unterminated \"${\""), "{d}");
        let d = single(load("data_dir: ${NOT-A-NAME}\n"));
        assert!(
            d.message()
                .starts_with("invalid interpolation \"${NOT-A-NAME}\""),
            "{d}"
        );
    }
}

mod overrides {
    use super::*;

    #[test]
    fn override_is_applied() {
        let env = env().with("HANGAR_TOOL_ACCESS__MODE", "egress");
        let config = load_env(REFERENCE, &env).unwrap();
        assert_eq!(config.tool_access.mode, Mode::Egress);

        let env = MapEnvironment::new()
            .with(
                "HANGAR_MCP_SERVERS__PAYMENTS__ENDPOINT",
                "https://payments.internal/mcp",
            )
            .with("HANGAR_AUTH__OIDC__TENANT_CLAIM", "org")
            .with("HANGAR_DATA_DIR", "/var/lib/hangar")
            .with("HANGAR_AUTH__ALLOW_ANONYMOUS", "true");
        let config = load_env(REFERENCE, &env).unwrap();
        assert!(matches!(
            &config.mcp_servers[0].transport,
            Transport::Remote { endpoint, .. } if endpoint == "https://payments.internal/mcp"
        ));
        assert_eq!(config.auth.oidc.unwrap().tenant_claim, "org");
        assert_eq!(config.data_dir, Some(PathBuf::from("/var/lib/hangar")));
        assert!(config.auth.allow_anonymous);
    }

    #[test]
    fn interpolation_variables_are_not_overrides() {
        let env = env()
            .with("HANGAR_ADMIN_KEY", "admin-secret")
            .with("TENANT_C_KEY", "c")
            .with("HANGAR_LOG", "debug")
            .with("HANGAR_DATA_DIR_OLD", "/old");
        let config = load_env(AUTH, &env).unwrap();
        assert!(
            matches!(&config.auth.api_keys[0].secret, ApiKeySecret::Plain(s) if s.expose() == "admin-secret")
        );
        assert_eq!(config.data_dir, Some(PathBuf::from("./hangar-data")));
    }

    #[test]
    fn overridden_values_need_no_interpolation() {
        let yaml = "data_dir: ${UNSET_DIR}\n";
        let config = load_env(yaml, &env().with("HANGAR_DATA_DIR", "/srv/hangar")).unwrap();
        assert_eq!(config.data_dir, Some(PathBuf::from("/srv/hangar")));
    }

    #[test]
    fn bad_override_names_path_and_variable() {
        let d = single(load_env(
            REFERENCE,
            &env().with("HANGAR_TOOL_ACCESS__MODE", "frontdoor"),
        ));
        assert_eq!(d.path(), "tool_access.mode");
        assert_eq!(d.line(), None);
        assert_eq!(
            d.to_string(),
            "config.yaml: tool_access.mode: unknown variant \"frontdoor\", expected \"egress\" or \"front_door\" \
             (value from environment variable HANGAR_TOOL_ACCESS__MODE)"
        );

        let d = single(load_env(
            REFERENCE,
            &env().with("HANGAR_AUTH__ENABLED", "maybe"),
        ));
        assert_eq!(d.path(), "auth.enabled");
        assert!(
            d.message()
                .starts_with("expected a boolean, found string \"maybe\""),
            "{d}"
        );

        let d = single(load_env(
            REFERENCE,
            &env().with("HANGAR_AUTH__OIDC__ISSUER", "http://idp.example"),
        ));
        assert_eq!(d.path(), "auth.oidc.issuer");
        assert!(d.message().contains("HANGAR_AUTH__OIDC__ISSUER"), "{d}");

        let d = single(load_env(REFERENCE, &env().with("HANGAR_AUTH__TYPO", "1")));
        assert_eq!(d.path(), "auth.typo");
        assert!(d.message().starts_with("unknown key \"typo\""), "{d}");

        let d = single(load_env(
            REFERENCE,
            &env().with("HANGAR_AUTH____ENABLED", "1"),
        ));
        assert!(d.message().contains("HANGAR_AUTH____ENABLED"), "{d}");
    }
}

mod diagnostics {
    use super::*;

    const SERVER: &str =
        "mcp_servers:\n  payments:\n    mode: remote\n    endpoint: http://localhost:8080/mcp\n";

    #[test]
    fn unknown_key() {
        let yaml = format!("{SERVER}    tool_acess:\n      member: {{}}\n");
        let d = single(load(&yaml));
        assert_eq!(d.line(), Some(5));
        assert_eq!(d.path(), "mcp_servers.payments.tool_acess");
        assert!(
            d.message()
                .starts_with("unknown key \"tool_acess\", expected one of \"mode\", \"endpoint\""),
            "{d}"
        );
        assert!(d.message().contains("\"tool_access\""), "{d}");

        let d = single(load("tool_acess: {}\n"));
        assert_eq!(
            d.to_string(),
            "config.yaml:1: tool_acess: unknown key \"tool_acess\", expected one of \"data_dir\", \"tool_access\", \"auth\", \"mcp_servers\", \"tls\", \"rate_limits\", \"audit\", \"metrics\""
        );
    }

    #[test]
    fn wrong_type() {
        for value in ["\"yes\"", "yes", "on"] {
            let d = single(load(&format!("auth:\n  enabled: {value}\n")));
            let shown = value.trim_matches('"');
            assert_eq!(
                d.to_string(),
                format!(
                    "config.yaml:2: auth.enabled: expected a boolean, found string \"{shown}\""
                )
            );
        }
        let d = single(load("mcp_servers: [a, b]\n"));
        assert_eq!(
            d.to_string(),
            "config.yaml:1: mcp_servers: expected a mapping, found a sequence"
        );
        let d = single(load("auth:\n  api_keys: {name: x}\n"));
        assert_eq!(d.path(), "auth.api_keys");
        assert_eq!(d.message(), "expected a sequence, found a mapping");
        let d = single(load("auth:\n  jwt:\n    clock_skew_seconds: -5\n"));
        assert_eq!(d.path(), "auth.jwt.clock_skew_seconds");
        assert!(d.message().contains("non-negative integer"), "{d}");
    }

    #[test]
    fn unknown_mode() {
        let d = single(load("tool_access:\n  mode: frontdoor\n"));
        assert_eq!(
            d.to_string(),
            "config.yaml:2: tool_access.mode: unknown variant \"frontdoor\", expected \"egress\" or \"front_door\""
        );
        let d = single(load("tool_access:\n  unlisted_tenants: nobody\n"));
        assert_eq!(
            d.to_string(),
            "config.yaml:2: tool_access.unlisted_tenants: unknown variant \"nobody\", expected \"server_policy\" or \"deny\""
        );
        let d = single(load("mcp_servers:\n  s:\n    mode: http\n"));
        assert_eq!(
            d.to_string(),
            "config.yaml:3: mcp_servers.s.mode: unknown variant \"http\", expected \"remote\" or \"stdio\""
        );
    }

    #[test]
    fn bad_glob() {
        let yaml = format!(
            "{SERVER}    tool_access:\n      member:\n        \"tenant:a\":\n          deny_list:\n            - \"[ab\"\n"
        );
        let d = single(load(&yaml));
        assert_eq!(
            d.to_string(),
            "config.yaml:9: mcp_servers.payments.tool_access.member.\"tenant:a\".deny_list[0]: invalid glob \"[ab\": unclosed character class"
        );
        let yaml = format!(
            "{SERVER}    tools: {{ allow_list: [ok, \"{{a,b\"] }}\n    tool_projection:\n      withdrawn: [\"\"]\n"
        );
        let all = problems(load(&yaml));
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(
            all[0].starts_with(
                "config.yaml:5: mcp_servers.payments.tools.allow_list[1]: invalid glob \"{a,b\""
            ),
            "{all:?}"
        );
        assert_eq!(
            all[1],
            "config.yaml:7: mcp_servers.payments.tool_projection.withdrawn[0]: empty pattern"
        );
    }

    #[test]
    fn all_problems_are_collected() {
        let yaml = "\
tool_access:
  mode: frontdoor
  colour: blue
auth:
  enabled: yes
  api_keys:
    - name: a
      key: k
      key_sha256: 00
mcp_servers:
  bad/name:
    mode: remote
    endpoint: ftp://x
  ok:
    mode: stdio
    tool_access:
      groups:
        ghosts: { deny_list: [\"[x\"] }
";
        let all = problems(load(yaml));
        assert_eq!(
            all,
            [
                "config.yaml:2: tool_access.mode: unknown variant \"frontdoor\", expected \"egress\" or \"front_door\"",
                "config.yaml:3: tool_access.colour: unknown key \"colour\", expected one of \"mode\", \"unlisted_tenants\", \"groups\"",
                "config.yaml:5: auth.enabled: expected a boolean, found string \"yes\"",
                "config.yaml:9: auth.api_keys[0].key_sha256: set either key or key_sha256, not both",
                "config.yaml:11: mcp_servers.\"bad/name\": invalid server name \"bad/name\": use only letters, digits, \"_\", \".\" and \"-\"",
                "config.yaml:13: mcp_servers.\"bad/name\".endpoint: invalid url \"ftp://x\": unsupported scheme \"ftp\", expected http or https",
                "config.yaml:14: mcp_servers.ok.command: missing key \"command\" (required for a stdio server)",
                "config.yaml:18: mcp_servers.ok.tool_access.groups.ghosts: unknown tenant group \"ghosts\" (define it under tool_access.groups)",
                "config.yaml:18: mcp_servers.ok.tool_access.groups.ghosts.deny_list[0]: invalid glob \"[x\": unclosed character class",
            ]
        );
        let error = load(yaml).unwrap_err();
        assert_eq!(error.to_string().lines().count(), 9);
    }

    #[test]
    fn servers() {
        let d = single(load(
            "mcp_servers:\n  s:\n    endpoint: https://s.example\n",
        ));
        assert_eq!(
            d.to_string(),
            "config.yaml:2: mcp_servers.s.mode: missing key \"mode\", expected \"remote\" or \"stdio\""
        );
        let d = single(load("mcp_servers:\n  s:\n    mode: remote\n"));
        assert_eq!(
            d.to_string(),
            "config.yaml:2: mcp_servers.s.endpoint: missing key \"endpoint\" (required for a remote server)"
        );
        let all = problems(load(
            "mcp_servers:\n  s:\n    mode: remote\n    endpoint: https://s.example\n    command: x\n    env: {}\n",
        ));
        assert_eq!(
            all,
            [
                "config.yaml:5: mcp_servers.s.command: not allowed for a remote server (mode: remote)",
                "config.yaml:6: mcp_servers.s.env: not allowed for a remote server (mode: remote)",
            ]
        );
        let d = single(load(
            "mcp_servers:\n  s:\n    mode: stdio\n    command: x\n    endpoint: https://s.example\n",
        ));
        assert_eq!(
            d.to_string(),
            "config.yaml:5: mcp_servers.s.endpoint: not allowed for a stdio server (mode: stdio)"
        );
        let d = single(load(
            "mcp_servers:\n  \"\":\n    mode: stdio\n    command: x\n",
        ));
        assert_eq!(d.path(), "mcp_servers.\"\"");
        let d = single(load(
            "mcp_servers:\n  s:\n    mode: remote\n    endpoint: https://user:pw@s.example/mcp\n",
        ));
        assert_eq!(d.message(), "credentials in the url are not allowed");
        let d = single(load(
            "mcp_servers:\n  s:\n    mode: remote\n    endpoint: https://s.example\n    tools:\n      allow_list:\n",
        ));
        assert_eq!(
            d.to_string(),
            "config.yaml:6: mcp_servers.s.tools.allow_list: expected a sequence, found null"
        );
    }

    #[test]
    fn api_keys() {
        let sha = "a".repeat(64);
        let yaml = format!(
            "auth:\n  api_keys:\n    - name: a\n      key_sha256: {sha}\n    - name: a\n      key: k\n      roles: [admin, \"\"]\n    - key: k\n    - name: c\n    - name: d\n      key_sha256: abc\n"
        );
        let all = problems(load(&yaml));
        assert_eq!(
            all,
            [
                "config.yaml:5: auth.api_keys[1].name: duplicate api key name \"a\" (also used by auth.api_keys[0])",
                "config.yaml:7: auth.api_keys[1].roles[1]: empty role",
                "config.yaml:8: auth.api_keys[2].name: missing key \"name\"",
                "config.yaml:8: auth.api_keys[2].key: the same key as auth.api_keys[1] (keys must be unique)",
                "config.yaml:9: auth.api_keys[3].key: missing key \"key\" (or \"key_sha256\")",
                "config.yaml:11: auth.api_keys[4].key_sha256: expected 64 hexadecimal characters (a sha-256 digest), found 3 characters",
            ]
        );
        let config = load(&format!(
            "auth:\n  api_keys:\n    - name: a\n      key_sha256: {}\n",
            "0F".repeat(32)
        ))
        .unwrap();
        assert_eq!(
            config.auth.api_keys[0].secret,
            ApiKeySecret::Sha256([0x0f; 32])
        );
    }

    #[test]
    fn issuers() {
        for ok in [
            "https://idp.example",
            "http://127.0.0.1:9400",
            "http://localhost",
            "http://[::1]:8080/realms/x",
        ] {
            let yaml =
                format!("auth:\n  oidc:\n    enabled: true\n    issuer: {ok}\n    audience: a\n");
            load(&yaml).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        let d = single(load("auth:\n  oidc:\n    issuer: http://idp.example\n"));
        assert_eq!(
            d.to_string(),
            "config.yaml:3: auth.oidc.issuer: \"http://idp.example\" must use https (plain http is accepted only for loopback hosts: 127.0.0.1, localhost, [::1])"
        );
        let d = single(load("auth:\n  oidc:\n    enabled: true\n"));
        assert_eq!(d.path(), "auth.oidc.issuer");
        assert!(d.message().starts_with("missing key \"issuer\""), "{d}");
        let d = single(load(
            "auth:\n  oidc:\n    enabled: true\n    issuer: https://idp.example\n",
        ));
        assert_eq!(d.path(), "auth.oidc.audience");
        let yaml = "auth:\n  oidc:\n    enabled: true\n    audience: hangar\n    issuers:\n      - issuer: https://a.example\n      - issuer: http://b.example\n        tenant_claim: org\n      - audience: x\n";
        let all = problems(load(yaml));
        assert_eq!(
            all,
            [
                "config.yaml:7: auth.oidc.issuers[1].issuer: \"http://b.example\" must use https (plain http is accepted only for loopback hosts: 127.0.0.1, localhost, [::1])",
                "config.yaml:9: auth.oidc.issuers[2].issuer: missing key \"issuer\"",
            ]
        );
        let yaml = "auth:\n  oidc:\n    enabled: true\n    audience: hangar\n    tenant_claim: tid\n    issuers:\n      - issuer: https://a.example\n        allowed_tenants: [\"tenant:a\"]\n";
        let oidc = load(yaml).unwrap().auth.oidc.unwrap();
        assert_eq!(oidc.issuers[0].audience.as_deref(), Some("hangar"));
        assert_eq!(oidc.issuers[0].tenant_claim, "tid");
        assert_eq!(oidc.issuers[0].allowed_tenants, ["tenant:a"]);
    }

    #[test]
    fn jwt_introspection_mtls() {
        let all = problems(load(
            "auth:\n  jwt:\n    enabled: true\n    algorithm: HS256\n    public_key_file: k.pem\n",
        ));
        assert_eq!(
            all,
            [
                "config.yaml:2: auth.jwt.secret: missing key \"secret\" (required for HS256)",
                "config.yaml:5: auth.jwt.public_key_file: not used with HS256 (hmac algorithms take a secret)",
            ]
        );
        let d = single(load(
            "auth:\n  jwt:\n    enabled: true\n    algorithm: RS256\n",
        ));
        assert_eq!(d.path(), "auth.jwt.public_key_file");
        let d = single(load("auth:\n  jwt:\n    algorithm: HS999\n"));
        assert!(
            d.message()
                .starts_with("unknown variant \"HS999\", expected one of \"HS256\""),
            "{d}"
        );
        let jwt = load(
            "auth:\n  jwt:\n    enabled: true\n    algorithm: EdDSA\n    public_key_file: /k.pem\n",
        )
        .unwrap()
        .auth
        .jwt
        .unwrap();
        assert_eq!(jwt.clock_skew_seconds, 60);
        assert_eq!(jwt.public_key_file, Some(PathBuf::from("/k.pem")));

        let all = problems(load(
            "auth:\n  introspection:\n    enabled: true\n    endpoint: http://idp.example/introspect\n",
        ));
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(
            all[0].contains("auth.introspection.client_id: missing key"),
            "{all:?}"
        );
        assert!(
            all[2].contains(
                "auth.introspection.endpoint: \"http://idp.example/introspect\" must use https"
            ),
            "{all:?}"
        );
        let i = load("auth:\n  introspection:\n    enabled: true\n    endpoint: https://idp.example/introspect\n    client_id: hangar\n    client_secret: s\n")
            .unwrap()
            .auth
            .introspection
            .unwrap();
        assert_eq!((i.cache_ttl_seconds, i.cache_size), (60, 10_000));

        let d = single(load(
            "tls: {enabled: true, cert_file: s.pem, key_file: k.pem}\nauth:\n  mtls:\n    enabled: true\n",
        ));
        assert_eq!(
            d.to_string(),
            "config.yaml:3: auth.mtls.ca_file: missing key \"ca_file\" (required when mtls is enabled)"
        );
        let m = load("tls: {enabled: true, cert_file: s.pem, key_file: k.pem}\nauth:\n  mtls:\n    enabled: true\n    ca_file: /ca.pem\n    allowed_subjects: [\"CN=service-*\"]\n    tenant_map: {\"CN=service-a\": \"tenant:a\"}\n")
            .unwrap()
            .auth
            .mtls
            .unwrap();
        assert_eq!(m.tenant_map["CN=service-a"], "tenant:a");
    }

    #[test]
    fn parse_errors_have_a_line() {
        let error = load("auth:\n  enabled: true\n   bad: [\n").unwrap_err();
        match &error {
            Error::Parse { origin, line, .. } => {
                assert_eq!(origin, "config.yaml");
                assert!(*line >= 3, "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert!(error.to_string().starts_with("config.yaml:"), "{error}");
        let error = load("a: 1\na: 2\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "config.yaml:2:1: duplicated key in mapping"
        );
        let error = load("a: 1\n\"a\": 2\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "config.yaml:2:1: duplicate key \"a\" (first written on line 1)"
        );
    }
}

mod robustness {
    use super::*;

    /// Malformed YAML and wrong shapes: never a panic, always an error.
    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        let deep_flow = format!("a: {}{}", "[".repeat(300), "]".repeat(300));
        let deep_block: String = (0..200)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let laughs = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        let inputs: Vec<String> = [
            "{",
            "[",
            "]",
            "}",
            "a: [",
            "a: {b",
            "a: b: c",
            ":\n:",
            "- a\n- b",
            "'",
            "\"abc",
            "a: 'x",
            "? [a]\n: b",
            "? {a: b}\n: c",
            "a: *nothing",
            "&a a: *a",
            "a: !!int abc",
            "a: !!bool maybe",
            "a: 1\n---\nb: 2",
            "%YAML 2.0\n---\na: b",
            "%FOO\n---\n: x",
            "\t- x",
            "a:\n\t- b",
            "a:\n  - b\n c: d",
            "a: |\n b\nc",
            "--- !!str\nfoo",
            "\u{feff}\u{0}",
            "\u{0}\u{1}\u{2}",
            "auth: 5",
            "auth: [x]",
            "auth: {api_keys: [1, 2]}",
            "auth: {api_keys: [{}]}",
            "tool_access: {mode: [a]}",
            "tool_access: {groups: {g: {a: b}}}",
            "tool_access: {groups: [g]}",
            "mcp_servers: {a: 1}",
            "mcp_servers: {a: {mode: remote, endpoint: 5}}",
            "mcp_servers: {a: {mode: remote, endpoint: http://}}",
            "mcp_servers: {a: {mode: remote, endpoint: 'http://[::1'}}",
            "mcp_servers: {a: {mode: remote, endpoint: 'http://a:99999'}}",
            "mcp_servers: {a: {mode: stdio, command: x, env: [a]}}",
            "mcp_servers: {a: {tool_projection: {withdrawn: {x: y}}}}",
            "mcp_servers: {a: {tool_access: {member: {t: [x]}}}}",
            "data_dir: [a]",
            "data_dir: ''",
            "1: 2",
            "~: x",
            "null: ~\nnull: ~",
            "a: b\n...\nc: d",
            "a: 1e999999",
            "auth: {jwt: {clock_skew_seconds: 99999999999999999999999}}",
            "auth:\n  enabled: ${",
            "auth:\n  enabled: ${X",
            "data_dir: ${}",
            "mcp_servers: {a: {mode: stdio, command: '${X:-'}}",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([deep_flow, deep_block, laughs.to_owned()])
        .collect();
        assert!(inputs.len() >= 50);
        for input in &inputs {
            let result = std::panic::catch_unwind(|| load(input));
            match result {
                Ok(Ok(config)) => panic!("accepted {input:?}: {config:?}"),
                Ok(Err(error)) => assert!(!error.to_string().is_empty()),
                Err(_) => panic!("panicked on {input:?}"),
            }
        }
    }
}

mod override_edges {
    use super::*;

    #[test]
    fn a_server_added_by_the_environment_comes_last() {
        let env = env()
            .with("HANGAR_MCP_SERVERS__AAA__MODE", "stdio")
            .with("HANGAR_MCP_SERVERS__AAA__COMMAND", "aaa-mcp")
            .with("HANGAR_MCP_SERVERS__AAA__ARGS", "[--x, \"y z\"]");
        let config = load_env(REFERENCE, &env).unwrap();
        let names: Vec<&str> = config.mcp_servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["payments", "aaa"]);
        match &config.mcp_servers[1].transport {
            Transport::Stdio { command, args, .. } => {
                assert_eq!(command, "aaa-mcp");
                assert_eq!(args, &["--x", "y z"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_empty_override_is_an_empty_value() {
        let d = single(load_env(REFERENCE, &env().with("HANGAR_DATA_DIR", "")));
        assert_eq!(d.path(), "data_dir");
        assert!(d.message().contains("HANGAR_DATA_DIR"), "{d}");
    }
}
