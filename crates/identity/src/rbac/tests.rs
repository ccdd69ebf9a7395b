use super::{Grant, Permission, Role, authorize, grants};
use crate::{AuthMethod, CallerIdentity, Rejection};

use Permission::{ConfigReload, McpServersLifecycle, Read};

fn caller(roles: &[&str], tenant: Option<&str>) -> CallerIdentity {
    let mut caller = CallerIdentity::new("someone", AuthMethod::ApiKey);
    caller.roles = roles.iter().map(|r| (*r).to_owned()).collect();
    caller.tenant_id = tenant.map(str::to_owned);
    caller
}

fn allowed(caller: &CallerIdentity, permission: Permission, target: Option<&str>) -> bool {
    authorize(caller, permission, target).is_ok()
}

#[test]
fn admin_has_every_permission_everywhere() {
    let admin = caller(&["admin"], None);
    for permission in Permission::ALL {
        for target in [None, Some("tenant:a"), Some("tenant:b")] {
            assert!(
                allowed(&admin, permission, target),
                "{permission} {target:?}"
            );
        }
    }
}

#[test]
fn operator_has_lifecycle_and_read_but_not_reload() {
    let operator = caller(&["operator"], None);
    assert!(allowed(&operator, Read, None));
    assert!(allowed(&operator, McpServersLifecycle, None));
    assert!(allowed(&operator, McpServersLifecycle, Some("tenant:b")));
    assert_eq!(
        authorize(&operator, ConfigReload, None),
        Err(Rejection::PermissionDenied {
            permission: ConfigReload
        })
    );
}

#[test]
fn viewer_reads_only() {
    let viewer = caller(&["viewer"], None);
    assert!(allowed(&viewer, Read, None));
    assert!(!allowed(&viewer, McpServersLifecycle, Some("tenant:a")));
    assert!(!allowed(&viewer, ConfigReload, None));
}

#[test]
fn a_confined_operator_acts_on_its_tenant_only() {
    let operator = caller(&["operator@tenant:b"], None);
    assert!(allowed(&operator, McpServersLifecycle, Some("tenant:b")));
    assert!(!allowed(&operator, McpServersLifecycle, Some("tenant:a")));
    // Global actions (every tenant) are not for a confined role.
    assert!(!allowed(&operator, McpServersLifecycle, None));
    assert!(!allowed(&operator, Read, None));
}

#[test]
fn a_tenant_bound_caller_has_its_roles_confined_to_its_tenant() {
    let operator = caller(&["operator"], Some("tenant:c"));
    assert_eq!(
        grants(&operator),
        [Grant {
            role: Role::Operator,
            tenant: Some("tenant:c".into())
        }]
    );
    assert!(allowed(&operator, McpServersLifecycle, Some("tenant:c")));
    assert!(!allowed(&operator, McpServersLifecycle, Some("tenant:a")));
    assert!(!allowed(&operator, McpServersLifecycle, None));
    // A role confined to another tenant than the caller's own is ignored.
    let foreign = caller(&["admin@tenant:a"], Some("tenant:c"));
    assert!(grants(&foreign).is_empty());
    assert!(!allowed(&foreign, Read, Some("tenant:a")));
}

#[test]
fn unknown_roles_grant_nothing() {
    for roles in [&["root"][..], &["Admin"], &["admin@"], &[""], &[]] {
        let c = caller(roles, None);
        assert!(grants(&c).is_empty(), "{roles:?}");
        for permission in Permission::ALL {
            assert!(!allowed(&c, permission, None), "{roles:?}");
            assert!(!allowed(&c, permission, Some("tenant:a")), "{roles:?}");
        }
    }
    // Unknown roles next to a known one are skipped.
    assert!(allowed(&caller(&["root", "viewer"], None), Read, None));
    assert!(!allowed(&CallerIdentity::anonymous(), Read, None));
}

#[test]
fn names() {
    assert_eq!(McpServersLifecycle.to_string(), "mcp_servers:lifecycle");
    assert_eq!(
        serde_json::to_value(Permission::ALL).unwrap(),
        serde_json::json!(["read", "mcp_servers:lifecycle", "config:reload"])
    );
    for role in [Role::Admin, Role::Operator, Role::Viewer] {
        assert_eq!(Role::parse(role.as_str()), Some(role));
    }
}
