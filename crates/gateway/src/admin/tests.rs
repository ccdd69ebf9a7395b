use super::*;

#[test]
fn tenant_segments_are_percent_decoded() {
    assert_eq!(
        parse_route("/api/admin/tenants/tenant%3Ab/tools")
            .ok()
            .flatten(),
        Some(Route::TenantTools {
            tenant: "tenant:b".to_owned()
        })
    );
    assert_eq!(
        parse_route("/api/admin/tools/payments/refund/withdraw")
            .ok()
            .flatten(),
        Some(Route::Withdraw {
            server: "payments".to_owned(),
            tool: "refund".to_owned()
        })
    );
}

#[test]
fn bad_percent_encoding_is_refused() {
    assert!(parse_route("/api/admin/tenants/tenant%3/tools").is_err());
    assert!(parse_route("/api/admin/tenants/%ff/tools").is_err());
}

#[test]
fn unknown_paths_are_no_route() {
    for path in [
        "/api/admin/",
        "/api/admin/tools/payments/withdraw",
        "/api/admin/servers//tools",
        "/api/admin/withdrawals/x",
    ] {
        assert!(matches!(parse_route(path), Ok(None)), "{path}");
    }
}

#[test]
fn no_body_empty_object_and_null_mean_every_tenant() {
    for body in ["", "  ", "{}", r#"{"tenant_id":null}"#] {
        assert!(matches!(parse_target(body.as_bytes()), Ok(None)), "{body}");
    }
    assert!(matches!(
        parse_target(br#"{"tenant_id":"tenant:b"}"#),
        Ok(Some(t)) if t == "tenant:b"
    ));
}

#[test]
fn bad_bodies_are_refused() {
    for body in [
        "{",
        r#"{"tenant":"x"}"#,
        r#"{"tenant_id":3}"#,
        r#"{"tenant_id":""}"#,
        "[]",
    ] {
        assert!(parse_target(body.as_bytes()).is_err(), "{body}");
    }
}

#[test]
fn lifecycle_reload_and_stats_routes() {
    assert_eq!(
        parse_route("/api/admin/servers/payments/%73tart")
            .ok()
            .flatten(),
        Some(Route::ServerStart {
            server: "payments".to_owned()
        })
    );
    assert_eq!(
        parse_route("/api/admin/servers/start/stop").ok().flatten(),
        Some(Route::ServerStop {
            server: "start".to_owned()
        })
    );
    assert_eq!(
        parse_route("/api/admin/reload").ok().flatten(),
        Some(Route::Reload)
    );
    assert_eq!(
        parse_route("/api/admin/stats").ok().flatten(),
        Some(Route::Stats)
    );
    assert_eq!(Route::Reload.method(), http::Method::POST);
    assert_eq!(Route::Stats.method(), http::Method::GET);
}
