//! The online commands: `withdraw`, `restore`, `withdrawals`, `tools`, `servers`,
//! `server`, `start`, `stop`, `reload`, `stats`, each one request to the gateway's admin API (docs/admin-api.md) over a
//! small HTTP/1.1 client. The gateway crate is never linked.

use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use serde_json::Value;

use crate::cli::{OnlineArgs, OnlineCommand};
use crate::{Failure, table};

/// How long one request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs one online command.
pub(crate) fn run(command: &OnlineCommand, out: &mut impl Write) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Gateway(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(run_async(command, out))
}

async fn run_async(command: &OnlineCommand, out: &mut impl Write) -> Result<(), Failure> {
    let (args, text) = match command {
        OnlineCommand::Withdraw(target) | OnlineCommand::Restore(target) => {
            let withdraw = matches!(command, OnlineCommand::Withdraw(_));
            let (server, tool) = split_target(&target.target)?;
            let path = format!(
                "tools/{}/{}/{}",
                encode(server),
                encode(tool),
                if withdraw { "withdraw" } else { "restore" }
            );
            let body = serde_json::json!({ "tenant_id": target.tenant }).to_string();
            let answer = send(&target.online, Method::POST, &path, Some(body)).await?;
            let text = if withdraw {
                withdrawn_text(&answer)
            } else {
                restored_text(&answer)
            };
            (&target.online, (answer, text))
        }
        OnlineCommand::Withdrawals(online) => {
            let answer = send(online, Method::GET, "withdrawals", None).await?;
            let text = withdrawals_text(&answer);
            (online, (answer, text))
        }
        OnlineCommand::Tools { tenant, online } => {
            let path = format!("tenants/{}/tools", encode(tenant));
            let answer = send(online, Method::GET, &path, None).await?;
            let text = tools_text(&answer);
            (online, (answer, text))
        }
        OnlineCommand::Servers(online) => {
            let answer = send(online, Method::GET, "servers", None).await?;
            let text = servers_text(&answer);
            (online, (answer, text))
        }
        OnlineCommand::Server { server, online } => {
            let answer = send(
                online,
                Method::GET,
                &format!("servers/{}", encode(server)),
                None,
            )
            .await?;
            let text = server_text(&answer);
            (online, (answer, text))
        }
        OnlineCommand::Start { server, online } | OnlineCommand::Stop { server, online } => {
            let action = if matches!(command, OnlineCommand::Start { .. }) {
                "start"
            } else {
                "stop"
            };
            let path = format!("servers/{}/{action}", encode(server));
            let answer = send(online, Method::POST, &path, None).await?;
            let text = server_text(&answer);
            (online, (answer, text))
        }
        OnlineCommand::Reload(online) => {
            let answer = send(online, Method::POST, "reload", None).await?;
            let text = reload_text(&answer);
            (online, (answer, text))
        }
        OnlineCommand::Stats(online) => {
            let answer = send(online, Method::GET, "stats", None).await?;
            let text = stats_text(&answer);
            (online, (answer, text))
        }
    };
    let (answer, human) = text;
    let printed = if args.json {
        let mut json = serde_json::to_string_pretty(&answer).unwrap_or_default();
        json.push('\n');
        json
    } else {
        human
    };
    let _ = out.write_all(printed.as_bytes());
    Ok(())
}

/// `SERVER/TOOL` (the tool may itself contain `/`: the first one separates).
fn split_target(target: &str) -> Result<(&str, &str), Failure> {
    match target.split_once('/') {
        Some((server, tool)) if !server.is_empty() && !tool.is_empty() => Ok((server, tool)),
        _ => Err(Failure::Invalid(format!(
            "{target:?} is not SERVER/TOOL (e.g. payments/refund)"
        ))),
    }
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One admin API request; the JSON answer of a 2xx, else the failure it means.
async fn send(
    args: &OnlineArgs,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Value, Failure> {
    let base = args.url.trim_end_matches('/');
    if !base.starts_with("http://") && !base.starts_with("https://") {
        return Err(Failure::Invalid(format!(
            "--url {base}: use the gateway's http:// or https:// address \
             (e.g. http://127.0.0.1:8000)"
        )));
    }
    let url = format!("{base}/api/admin/{path}");
    let mut request = Request::builder()
        .method(method)
        .uri(&url)
        .header("accept", "application/json");
    if let Some(key) = args.api_key.as_deref().filter(|k| !k.is_empty()) {
        request = request.header("x-api-key", key);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| Failure::Invalid(format!("--url {base}: {e}")))?;
    let client = crate::https::client(args)?;
    let unreachable = |reason: String| {
        Failure::Unreachable(format!(
            "cannot reach the gateway at {base}: {reason}. Is the gateway running at {base}? \
             (set --url or HANGAR_URL)"
        ))
    };
    let response = tokio::time::timeout(TIMEOUT, client.request(request))
        .await
        .map_err(|_| unreachable(format!("no answer within {}s", TIMEOUT.as_secs())))?
        .map_err(|e| unreachable(error_chain(&e)))?;
    let status = response.status();
    let bytes = tokio::time::timeout(TIMEOUT, response.into_body().collect())
        .await
        .map_err(|_| unreachable("the answer did not finish".to_owned()))?
        .map_err(|e| unreachable(e.to_string()))?
        .to_bytes();
    let json: Option<Value> = serde_json::from_slice(&bytes).ok();
    if status.is_success() {
        return json.ok_or_else(|| {
            Failure::Gateway(format!(
                "{url}: the answer is not JSON (is {base} a Hangar gateway?)"
            ))
        });
    }
    let message = json
        .as_ref()
        .and_then(|j| j["message"].as_str().or_else(|| j["error"].as_str()))
        .map_or_else(
            || String::from_utf8_lossy(&bytes).trim().to_owned(),
            str::to_owned,
        );
    Err(match status {
        StatusCode::BAD_REQUEST => Failure::Invalid(format!("the gateway refused: {message}")),
        StatusCode::UNPROCESSABLE_ENTITY => Failure::Invalid(format!(
            "the config file is invalid; the gateway keeps its previous config:\n{message}"
        )),
        StatusCode::CONFLICT => Failure::Invalid(format!("the gateway refused: {message}")),
        StatusCode::UNAUTHORIZED => Failure::Denied(format!(
            "unauthorized ({message}): pass --api-key or set HANGAR_API_KEY to an admin API key"
        )),
        StatusCode::FORBIDDEN => Failure::Denied(format!(
            "forbidden ({message}): the key's role lacks this permission; withdraw and \
             restore need admin or operator (operator@TENANT acts on that tenant only, \
             global withdrawals need an unconfined role), start and stop an unconfined \
             admin or operator, reload needs admin, reads need viewer or above"
        )),
        StatusCode::NOT_FOUND => Failure::NotFound(format!(
            "not found: {message} (`hangarctl servers` lists the configured servers)"
        )),
        _ => Failure::Gateway(format!("the gateway answered {status}: {message}")),
    })
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or("")
}

fn scope(answer: &Value) -> String {
    answer["tenant_id"].as_str().map_or_else(
        || "for all tenants".to_owned(),
        |t| format!("for tenant {t}"),
    )
}

fn withdrawn_text(answer: &Value) -> String {
    let mut text = format!(
        "withdrawn {}/{} {}\n",
        str_of(answer, "mcp_server"),
        str_of(answer, "tool"),
        scope(answer)
    );
    if answer["known"] == false {
        text.push_str(&format!(
            "note: {} does not list {} (yet); withdrawn pre-emptively\n",
            str_of(answer, "mcp_server"),
            str_of(answer, "tool")
        ));
    }
    text
}

fn restored_text(answer: &Value) -> String {
    let mut text = format!(
        "restored {}/{} {}\n",
        str_of(answer, "mcp_server"),
        str_of(answer, "tool"),
        scope(answer)
    );
    if let Some(message) = answer["message"].as_str() {
        text.push_str(&format!("still withdrawn: {message}\n"));
    }
    text
}

fn withdrawals_text(answer: &Value) -> String {
    let rows: Vec<Vec<String>> = answer["withdrawals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            vec![
                str_of(w, "server").to_owned(),
                w["tool"]
                    .as_str()
                    .or_else(|| w["pattern"].as_str())
                    .unwrap_or("")
                    .to_owned(),
                w["tenant_id"].as_str().unwrap_or("(all)").to_owned(),
                str_of(w, "source").to_owned(),
                str_of(w, "reason").to_owned(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return "no withdrawals\n".to_owned();
    }
    table::render(&["SERVER", "TOOL", "TENANT", "SOURCE", "DETAIL"], &rows)
}

fn tools_text(answer: &Value) -> String {
    let tools: Vec<&Value> = answer["tools"].as_array().into_iter().flatten().collect();
    let visible = tools.iter().filter(|t| t["visible"] == true).count();
    let rows: Vec<Vec<String>> = tools
        .iter()
        .map(|t| {
            vec![
                str_of(t, "server").to_owned(),
                str_of(t, "tool").to_owned(),
                if t["visible"] == true { "yes" } else { "no" }.to_owned(),
                str_of(t, "reason").to_owned(),
            ]
        })
        .collect();
    format!(
        "tenant {}: {visible} of {} tools visible\n\n{}",
        str_of(answer, "tenant"),
        tools.len(),
        table::render(&["SERVER", "TOOL", "VISIBLE", "REASON"], &rows)
    )
}

fn server_row(server: &Value) -> Vec<String> {
    vec![
        str_of(server, "id").to_owned(),
        str_of(server, "state").to_owned(),
        str_of(server, "transport").to_owned(),
        server["tool_count"]
            .as_u64()
            .map_or_else(|| "-".to_owned(), |n| n.to_string()),
        server["last_error"].as_str().unwrap_or("-").to_owned(),
    ]
}

const SERVER_HEADER: [&str; 5] = ["ID", "STATE", "TRANSPORT", "TOOLS", "LAST ERROR"];

fn servers_text(answer: &Value) -> String {
    let rows: Vec<Vec<String>> = answer["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(server_row)
        .collect();
    table::render(&SERVER_HEADER, &rows)
}

fn server_text(answer: &Value) -> String {
    table::render(&SERVER_HEADER, &[server_row(answer)])
}

fn reload_text(answer: &Value) -> String {
    let changed: Vec<&str> = answer["changed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if changed.is_empty() {
        return "reloaded: no change\n".to_owned();
    }
    let mut text = "reloaded:\n".to_owned();
    for line in changed {
        text.push_str(&format!("  {line}\n"));
    }
    text
}

fn stats_text(answer: &Value) -> String {
    let number = |value: &Value| value.as_u64().unwrap_or(0).to_string();
    let mut rows = vec![
        vec![
            "uptime_seconds".to_owned(),
            number(&answer["uptime_seconds"]),
        ],
        vec![
            "requests_total".to_owned(),
            number(&answer["requests_total"]),
        ],
        vec![
            "tool_calls_total".to_owned(),
            number(&answer["tool_calls_total"]),
        ],
        vec!["denials".to_owned(), number(&answer["denials"])],
        vec!["reloads_ok".to_owned(), number(&answer["reloads"]["ok"])],
        vec![
            "reloads_failed".to_owned(),
            number(&answer["reloads"]["failed"]),
        ],
    ];
    for (key, label) in [
        ("tool_calls_by_tool", "tool"),
        ("tool_calls_by_tenant", "tenant"),
    ] {
        if let Some(map) = answer[key].as_object() {
            for (name, count) in map {
                rows.push(vec![format!("calls {label} {name}"), number(count)]);
            }
        }
    }
    table::render(&["COUNTER", "VALUE"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_and_stats_render() {
        let answer = serde_json::json!({"reloaded": true, "changed": ["auth: changed"]});
        assert_eq!(reload_text(&answer), "reloaded:\n  auth: changed\n");
        let none = serde_json::json!({"reloaded": true, "changed": []});
        assert_eq!(reload_text(&none), "reloaded: no change\n");
        let stats = serde_json::json!({
            "uptime_seconds": 3, "requests_total": 9, "tool_calls_total": 2,
            "tool_calls_by_tool": {"charge": 2}, "tool_calls_by_tenant": {"tenant:a": 2},
            "denials": 1, "reloads": {"ok": 1, "failed": 0}
        });
        let text = stats_text(&stats);
        assert!(text.contains("calls tool charge"), "{text}");
        assert!(text.contains("reloads_ok"), "{text}");
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode("tenant:b"), "tenant%3Ab");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        assert_eq!(encode("refund_v2.1-x~"), "refund_v2.1-x~");
    }

    #[test]
    fn targets_are_server_slash_tool() {
        assert_eq!(
            split_target("payments/refund").ok(),
            Some(("payments", "refund"))
        );
        assert!(split_target("payments").is_err());
        assert!(split_target("/refund").is_err());
        assert!(split_target("payments/").is_err());
    }

    #[test]
    fn a_restore_that_leaves_a_config_withdrawal_says_so() {
        let answer = serde_json::json!({
            "restored": true, "mcp_server": "payments", "tool": "legacy_charge",
            "tenant_id": null, "known": true, "still_withdrawn_by_config": true,
            "message": "the tool stays withdrawn by config"
        });
        assert_eq!(
            restored_text(&answer),
            "restored payments/legacy_charge for all tenants\n\
             still withdrawn: the tool stays withdrawn by config\n"
        );
    }
}
