//! A real OpenID provider (npm `oidc-provider`, see tests/harness/oidc-provider.mjs)
//! started on 127.0.0.1 for one test, stopped (by pid) when dropped.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use hangar_identity::HttpClient;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// The resource URI JWT access tokens are minted for.
pub const RESOURCE: &str = "http://127.0.0.1:8000/mcp";
/// A resource that gets opaque access tokens (for introspection).
pub const OPAQUE_RESOURCE: &str = "urn:opaque:hangar";

/// A running provider.
#[derive(Debug)]
pub struct Idp {
    child: Option<Child>,
    stderr: Arc<Mutex<String>>,
    /// `http://127.0.0.1:PORT`.
    pub issuer: String,
    /// The port (kept across [`Idp::restart`]).
    pub port: u16,
    /// The signing algorithm (`RS256` / `ES256`).
    pub alg: String,
    /// The current signing key's `kid`.
    pub kid: String,
    http: HttpClient,
}

/// Request counters kept by the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct Counts {
    pub jwks: u64,
    pub introspection: u64,
    pub token: u64,
}

fn harness_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/harness")
}

/// The node binary: the harness's own Node 22 if installed, else `node` on PATH.
fn node() -> PathBuf {
    let dir = harness_dir();
    assert!(
        dir.join("node_modules/oidc-provider").is_dir(),
        "the test harness is not installed ({}/node_modules is missing): run `bash scripts/test.sh` \
         (its \"install the test harness\" step) or `npm ci` in tests/harness",
        dir.display()
    );
    let local = dir.join("node_modules/.bin/node");
    if local.exists() {
        local
    } else {
        PathBuf::from("node")
    }
}

impl Idp {
    /// Starts a provider signing with `alg` on an ephemeral port.
    pub async fn start(alg: &str) -> Self {
        Self::start_on(alg, 0).await
    }

    /// Starts a provider signing with `alg` on `port` (0 = ephemeral).
    pub async fn start_on(alg: &str, port: u16) -> Self {
        let dir = harness_dir();
        let mut child = Command::new(node())
            .arg(dir.join("oidc-provider.mjs"))
            .args(["--port", &port.to_string(), "--alg", alg])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("cannot start node (run scripts/test.sh to install the test harness)");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
        let line = match line {
            Ok(Ok(Some(line))) => line,
            other => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                panic!(
                    "the oidc provider did not start ({other:?}); its stderr:\n{}",
                    stderr.lock().unwrap()
                )
            }
        };
        // Keep reading stdout: a provider writing to a closed pipe dies of EPIPE.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let ready: serde_json::Value = serde_json::from_str(&line).expect("ready line is json");
        Self {
            child: Some(child),
            stderr,
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            port: u16::try_from(ready["port"].as_u64().unwrap()).unwrap(),
            alg: alg.to_owned(),
            kid: ready["kid"].as_str().unwrap().to_owned(),
            http: HttpClient::new(Duration::from_secs(10)),
        }
    }

    /// What the provider wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Stops the provider (kills its pid and waits for it).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Restarts on the same port with a freshly generated key (a key rotation).
    pub async fn restart(&mut self) {
        self.stop().await;
        let next = Self::start_on(&self.alg.clone(), self.port).await;
        assert_eq!(next.issuer, self.issuer);
        *self = next;
    }

    async fn post_form(
        &self,
        path: &str,
        client: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{client}:{client}-secret"));
        let request = http::Request::post(format!("{}{path}", self.issuer))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", format!("Basic {basic}"))
            .body(body.into_bytes())
            .unwrap();
        let response = self.http.send(request).await.expect("provider answers");
        let status = response.status().as_u16();
        let json = serde_json::from_slice(response.body()).unwrap_or(serde_json::Value::Null);
        (status, json)
    }

    /// A client_credentials access token for `client` and `resource` (scope `mcp:read`
    /// unless given).
    pub async fn token(&self, client: &str, resource: &str, scope: Option<&str>) -> String {
        let form = [
            ("grant_type", "client_credentials"),
            ("resource", resource),
            ("scope", scope.unwrap_or("mcp:read")),
        ];
        let (status, json) = self.post_form("/token", client, &form).await;
        assert_eq!(status, 200, "token request failed: {json}");
        json["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Revokes a token (RFC 7009).
    pub async fn revoke(&self, client: &str, token: &str) {
        let (status, json) = self
            .post_form("/token/revocation", client, &[("token", token)])
            .await;
        assert_eq!(status, 200, "revocation failed: {json}");
    }

    /// The harness's request counters.
    pub async fn counts(&self) -> Counts {
        let response = self
            .http
            .get(&format!("{}/__test/counts", self.issuer))
            .await
            .unwrap();
        serde_json::from_slice(response.body()).unwrap()
    }
}
