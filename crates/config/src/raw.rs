//! The raw serde model: exactly what the YAML may say, nothing checked beyond types.
//! Every struct denies unknown keys; every key is optional here (required keys are
//! checked by `validate`, which can then report all of them at once).

use std::collections::BTreeMap;
use std::fmt;

use hangar_policy::{Mode, UnlistedTenants};
use serde::Deserialize;
use serde::de::{self, Deserializer, Unexpected, Visitor};

use crate::model::{AuthMethodKind, BackendProtocol, JwtAlgorithm, MtlsClientAuth, ServerMode};

/// The top-level keys (kept in step with [`RawConfig`]; a test checks it).
pub(crate) const TOP_LEVEL_KEYS: &[&str] = &[
    "data_dir",
    "tool_access",
    "auth",
    "mcp_servers",
    "tls",
    "rate_limits",
    "audit",
    "metrics",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub(crate) data_dir: Option<Text>,
    pub(crate) tool_access: Option<RawToolAccess>,
    pub(crate) auth: Option<RawAuth>,
    pub(crate) mcp_servers: Option<BTreeMap<String, RawServer>>,
    pub(crate) tls: Option<RawTls>,
    pub(crate) rate_limits: Option<RawRateLimits>,
    pub(crate) audit: Option<RawAudit>,
    pub(crate) metrics: Option<RawMetrics>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTls {
    pub(crate) enabled: Option<Flag>,
    pub(crate) cert_file: Option<Text>,
    pub(crate) key_file: Option<Text>,
    pub(crate) min_version: Option<Text>,
    pub(crate) cipher_suites: Option<Vec<Text>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRateLimits {
    pub(crate) enabled: Option<Flag>,
    pub(crate) per_tenant: Option<RawRate>,
    pub(crate) per_subject: Option<RawRate>,
    pub(crate) per_source: Option<RawRate>,
    pub(crate) tenants: Option<BTreeMap<String, RawRate>>,
    pub(crate) allow_cidrs: Option<Vec<Text>>,
    pub(crate) trusted_proxies: Option<Vec<Text>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRate {
    pub(crate) requests_per_second: Option<Count>,
    pub(crate) burst: Option<Count>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAudit {
    pub(crate) enabled: Option<Flag>,
    pub(crate) sink: Option<Text>,
    pub(crate) path: Option<Text>,
    pub(crate) include_failed: Option<Flag>,
    pub(crate) queue_size: Option<Count>,
    pub(crate) max_file_bytes: Option<Count>,
    pub(crate) max_files: Option<Count>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMetrics {
    pub(crate) enabled: Option<Flag>,
    pub(crate) listen: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawToolAccess {
    pub(crate) mode: Option<Mode>,
    pub(crate) unlisted_tenants: Option<UnlistedTenants>,
    pub(crate) groups: Option<BTreeMap<String, Vec<Text>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAuth {
    pub(crate) enabled: Option<Flag>,
    pub(crate) allow_anonymous: Option<Flag>,
    pub(crate) api_keys: Option<Vec<RawApiKey>>,
    pub(crate) oidc: Option<RawOidc>,
    pub(crate) jwt: Option<RawJwt>,
    pub(crate) introspection: Option<RawIntrospection>,
    pub(crate) mtls: Option<RawMtls>,
    pub(crate) order: Option<Vec<AuthMethodKind>>,
    pub(crate) required_scopes: Option<Vec<Text>>,
    pub(crate) per_message: Option<RawPerMessage>,
    pub(crate) token_cache_size: Option<Count>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPerMessage {
    pub(crate) enabled: Option<Flag>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApiKey {
    pub(crate) name: Option<Text>,
    pub(crate) key: Option<Text>,
    pub(crate) key_sha256: Option<Text>,
    pub(crate) roles: Option<Vec<Text>>,
    pub(crate) tenant_id: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOidc {
    pub(crate) enabled: Option<Flag>,
    pub(crate) issuer: Option<Text>,
    pub(crate) audience: Option<Text>,
    pub(crate) resource_uri: Option<Text>,
    pub(crate) tenant_claim: Option<Text>,
    pub(crate) scopes_supported: Option<Vec<Text>>,
    pub(crate) issuers: Option<Vec<RawOidcIssuer>>,
    pub(crate) roles_claim: Option<Text>,
    pub(crate) clock_skew_seconds: Option<Count>,
    pub(crate) max_lifetime_seconds: Option<Count>,
    pub(crate) jwks_cache_seconds: Option<Count>,
    pub(crate) jwks_min_refresh_seconds: Option<Count>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOidcIssuer {
    pub(crate) issuer: Option<Text>,
    pub(crate) audience: Option<Text>,
    pub(crate) resource_uri: Option<Text>,
    pub(crate) tenant_claim: Option<Text>,
    pub(crate) allowed_tenants: Option<Vec<Text>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJwt {
    pub(crate) enabled: Option<Flag>,
    pub(crate) algorithm: Option<JwtAlgorithm>,
    pub(crate) secret: Option<Text>,
    pub(crate) public_key_file: Option<Text>,
    pub(crate) issuer: Option<Text>,
    pub(crate) audience: Option<Text>,
    pub(crate) clock_skew_seconds: Option<Count>,
    pub(crate) max_lifetime_seconds: Option<Count>,
    pub(crate) tenant_claim: Option<Text>,
    pub(crate) roles_claim: Option<Text>,
    pub(crate) required_typ: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIntrospection {
    pub(crate) enabled: Option<Flag>,
    pub(crate) endpoint: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) client_secret: Option<Text>,
    pub(crate) required_scopes: Option<Vec<Text>>,
    pub(crate) cache_ttl_seconds: Option<Count>,
    pub(crate) cache_size: Option<Count>,
    pub(crate) tenant_claim: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMtls {
    pub(crate) enabled: Option<Flag>,
    pub(crate) ca_file: Option<Text>,
    pub(crate) crl_file: Option<Text>,
    pub(crate) allowed_subjects: Option<Vec<Text>>,
    pub(crate) tenant_map: Option<BTreeMap<String, Text>>,
    pub(crate) client_auth: Option<MtlsClientAuth>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) mode: Option<ServerMode>,
    pub(crate) endpoint: Option<Text>,
    pub(crate) command: Option<Text>,
    pub(crate) args: Option<Vec<Text>>,
    pub(crate) env: Option<BTreeMap<String, Text>>,
    pub(crate) description: Option<Text>,
    pub(crate) tools: Option<RawToolList>,
    pub(crate) tool_access: Option<RawServerToolAccess>,
    pub(crate) tool_projection: Option<RawProjection>,
    pub(crate) timeout_seconds: Option<Count>,
    pub(crate) connect_timeout_seconds: Option<Count>,
    pub(crate) headers: Option<BTreeMap<String, Text>>,
    pub(crate) oauth: Option<RawServerOAuth>,
    pub(crate) protocol_version: Option<BackendProtocol>,
    pub(crate) max_concurrency: Option<Count>,
    pub(crate) ca_file: Option<Text>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServerOAuth {
    pub(crate) token_url: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) client_secret: Option<Text>,
    pub(crate) scopes: Option<Vec<Text>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawToolList {
    /// `allow_list: ~` is an error, not "no allow list": an empty-looking allow list
    /// silently allowing every tool is the wrong way to fail.
    #[serde(default, deserialize_with = "present")]
    pub(crate) allow_list: Option<Vec<Text>>,
    pub(crate) deny_list: Option<Vec<Text>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServerToolAccess {
    pub(crate) unlisted_tenants: Option<UnlistedTenants>,
    pub(crate) groups: Option<BTreeMap<String, RawToolList>>,
    pub(crate) member: Option<BTreeMap<String, RawToolList>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProjection {
    pub(crate) withdrawn: Option<Vec<Text>>,
    pub(crate) tenant_overrides: Option<BTreeMap<String, RawTenantProjection>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenantProjection {
    pub(crate) withdrawn: Option<Vec<Text>>,
}

/// A key that, when written, must hold a value (null is a type error).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A string. Numbers and booleans are taken as their text (`port: 8080` in a stdio
/// server's `env`, a key that happens to be all digits after `${...}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_char<E: de::Error>(self, v: char) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A boolean: `true`/`false`, or that text from `${...}` (`True`/`TRUE`/`False`/`FALSE`
/// too, as in YAML 1.2). `yes`, `on`, `1` are errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flag(pub(crate) bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FlagVisitor;
        impl Visitor<'_> for FlagVisitor {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
                match v {
                    "true" | "True" | "TRUE" => Ok(Flag(true)),
                    "false" | "False" | "FALSE" => Ok(Flag(false)),
                    _ => Err(E::invalid_type(Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(FlagVisitor)
    }
}

/// A non-negative integer, or its decimal text from `${...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Count(pub(crate) u64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl Visitor<'_> for CountVisitor {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                u64::try_from(v)
                    .map(Count)
                    .map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Count, E> {
                u64::try_from(v)
                    .map(Count)
                    .map_err(|_| E::custom(format!("{v} is too large")))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Count, E> {
                u64::try_from(v)
                    .map(Count)
                    .map_err(|_| E::custom(format!("expected a non-negative integer, found {v}")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
                if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                    v.parse()
                        .map(Count)
                        .map_err(|_| E::custom(format!("{v} is too large")))
                } else {
                    Err(E::invalid_type(Unexpected::Str(v), &self))
                }
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}
