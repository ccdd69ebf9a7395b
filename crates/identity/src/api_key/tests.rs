use hangar_config::{ApiKeySecret, Config, MapEnvironment};

use super::{ApiKeys, sha256};
use crate::AuthMethod;

fn keys(yaml: &str) -> ApiKeys {
    let config = Config::from_yaml_str(yaml, "config.yaml", &MapEnvironment::new()).unwrap();
    ApiKeys::new(&config.auth.api_keys)
}

#[test]
fn sha256_matches_the_known_digest() {
    // `printf %s test | sha256sum`
    let hex: String = sha256("test").iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
}

#[test]
fn plain_and_hashed_keys_match_with_their_identity() {
    let keys = keys(
        "auth:
  api_keys:
    - name: ops
      key: s3cret
      roles: [admin]
    - name: tenant-c
      key_sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08
      tenant_id: \"tenant:c\"
",
    );
    let ops = keys.verify("s3cret").unwrap();
    assert_eq!(ops.subject, "ops");
    assert_eq!(ops.roles, ["admin"]);
    assert_eq!(ops.tenant_id, None);
    assert_eq!(ops.method, AuthMethod::ApiKey);
    let tenant = keys.verify("test").unwrap();
    assert_eq!(tenant.subject, "tenant-c");
    assert_eq!(tenant.tenant_id.as_deref(), Some("tenant:c"));
    assert!(tenant.roles.is_empty());
}

#[test]
fn near_misses_do_not_match() {
    let keys = keys("auth:\n  api_keys:\n    - name: k\n      key: s3cret\n");
    for wrong in ["", "s3cre", "s3cret ", "S3CRET", "s3cret\0", "s3crett"] {
        assert_eq!(keys.verify(wrong), None, "{wrong:?}");
    }
    assert!(!keys.is_empty());
    assert!(ApiKeys::new(&[]).is_empty());
    assert_eq!(ApiKeys::new(&[]).verify("s3cret"), None);
}

#[test]
fn the_digest_of_a_plain_key_is_what_is_stored() {
    let config = Config::from_yaml_str(
        "auth:\n  api_keys:\n    - name: k\n      key: abc\n",
        "c.yaml",
        &MapEnvironment::new(),
    )
    .unwrap();
    assert!(matches!(
        config.auth.api_keys[0].secret,
        ApiKeySecret::Plain(_)
    ));
    let keys = ApiKeys::new(&config.auth.api_keys);
    assert_eq!(keys.entries[0].digest, sha256("abc"));
}
