//! Claim validation shared by static-key JWTs and OIDC access tokens: `iss`, `aud`,
//! `exp` (required), `nbf`, `iat`, clock skew, maximum lifetime, header `typ`, and the
//! mapping of `sub` / tenant / `scope`+`scp` / roles onto a [`CallerIdentity`].

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::{AuthMethod, CallerIdentity, TokenError, TokenErrorKind};

/// What a verified token's claims must satisfy.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClaimRules {
    /// The expected `iss`, if any.
    pub(crate) issuer: Option<String>,
    /// `aud` must contain one of these (empty: `aud` is not checked).
    pub(crate) audiences: Vec<String>,
    /// Tolerance for `exp`, `nbf` and `iat`, in seconds.
    pub(crate) clock_skew: u64,
    /// The longest accepted `exp - iat` (or `exp - now` without `iat`), in seconds.
    pub(crate) max_lifetime: Option<u64>,
    /// The required header `typ` (`at+jwt` also matches `application/at+jwt`).
    pub(crate) required_typ: Option<String>,
    /// The claim holding the tenant.
    pub(crate) tenant_claim: String,
    /// The claim holding admin roles.
    pub(crate) roles_claim: String,
    /// If not empty, the only tenants accepted (a token without a tenant is refused).
    pub(crate) allowed_tenants: Vec<String>,
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn error(kind: TokenErrorKind, detail: impl Into<String>) -> TokenError {
    TokenError::new(kind, detail)
}

/// A NumericDate claim (an integer or a fraction; fractions are truncated).
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<u64>, TokenError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(v), _) => Ok(Some(v)),
            (None, Some(f)) if f >= 0.0 && f.is_finite() => Ok(Some(f as u64)),
            _ => Err(error(
                TokenErrorKind::Malformed,
                format!("{name} is not a valid date"),
            )),
        },
        Some(_) => Err(error(
            TokenErrorKind::Malformed,
            format!("{name} is not a number"),
        )),
    }
}

/// A string claim, `None` when absent; any other type is a claims error.
pub(crate) fn string_claim<'a>(
    claims: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, TokenError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(error(
            TokenErrorKind::BadClaims,
            format!("{name} is not a string"),
        )),
    }
}

/// A claim holding a list of strings: a JSON array, or one space-separated string.
pub(crate) fn string_list(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Vec<String>, TokenError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s.split_ascii_whitespace().map(str::to_owned).collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(error(
                    TokenErrorKind::BadClaims,
                    format!("{name} has a non-string member"),
                )),
            })
            .collect(),
        Some(_) => Err(error(
            TokenErrorKind::BadClaims,
            format!("{name} is not a string or list"),
        )),
    }
}

/// Granted scopes: `scope` (space-separated, RFC 8693 / RFC 9068) and `scp` (array or string).
pub(crate) fn scopes(claims: &Map<String, Value>) -> Result<Vec<String>, TokenError> {
    let mut scopes = string_list(claims, "scope")?;
    for scope in string_list(claims, "scp")? {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}

/// `typ` comparison per RFC 8725 §3.11: case-insensitive, `application/` optional.
fn same_typ(have: &str, want: &str) -> bool {
    let strip = |t: &str| {
        let t = t.trim();
        match t.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => t[12..].to_owned(),
            _ => t.to_owned(),
        }
    };
    strip(have).eq_ignore_ascii_case(&strip(want))
}

/// The tenant from `claim`, checked against `allowed` (if not empty).
pub(crate) fn tenant(
    claims: &Map<String, Value>,
    claim: &str,
    allowed: &[String],
) -> Result<Option<String>, TokenError> {
    let tenant = string_claim(claims, claim)?.map(str::to_owned);
    if !allowed.is_empty() && !tenant.as_ref().is_some_and(|t| allowed.contains(t)) {
        return Err(error(
            TokenErrorKind::BadClaims,
            "tenant is not allowed for this issuer",
        ));
    }
    Ok(tenant)
}

/// Validates verified claims at time `now` and builds the caller.
pub(crate) fn validate(
    rules: &ClaimRules,
    typ: Option<&str>,
    claims: &Map<String, Value>,
    now: u64,
    method: AuthMethod,
) -> Result<CallerIdentity, TokenError> {
    if let Some(want) = &rules.required_typ
        && !typ.is_some_and(|have| same_typ(have, want))
    {
        return Err(error(
            TokenErrorKind::BadClaims,
            format!("token typ is not {want}"),
        ));
    }
    let issuer = string_claim(claims, "iss")
        .map_err(|_| error(TokenErrorKind::WrongIssuer, "iss is not a string"))?;
    if let Some(want) = &rules.issuer
        && issuer != Some(want.as_str())
    {
        return Err(error(
            TokenErrorKind::WrongIssuer,
            "iss is not the trusted issuer",
        ));
    }
    if !rules.audiences.is_empty() {
        let audiences = string_list(claims, "aud")
            .map_err(|_| error(TokenErrorKind::WrongAudience, "aud is not a string or list"))?;
        // `aud` is one string or an array; a string is compared whole, never split.
        let single = string_claim(claims, "aud").ok().flatten();
        let matches = |want: &String| match single {
            Some(aud) => aud == want,
            None => audiences.contains(want),
        };
        if !rules.audiences.iter().any(matches) {
            return Err(error(
                TokenErrorKind::WrongAudience,
                "aud does not name this resource",
            ));
        }
    }
    let skew = rules.clock_skew;
    let exp = numeric_date(claims, "exp")?
        .ok_or_else(|| error(TokenErrorKind::BadLifetime, "exp is missing"))?;
    if exp.saturating_add(skew) <= now {
        return Err(error(TokenErrorKind::Expired, "token has expired"));
    }
    let nbf = numeric_date(claims, "nbf")?;
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(skew)) {
        return Err(error(
            TokenErrorKind::NotYetValid,
            "token is not valid yet (nbf)",
        ));
    }
    let iat = numeric_date(claims, "iat")?;
    if iat.is_some_and(|iat| iat > now.saturating_add(skew)) {
        return Err(error(
            TokenErrorKind::NotYetValid,
            "token is issued in the future (iat)",
        ));
    }
    if let Some(max) = rules.max_lifetime {
        let start = iat.or(nbf).unwrap_or(now);
        if exp.saturating_sub(start) > max {
            return Err(error(
                TokenErrorKind::BadLifetime,
                format!("lifetime is longer than {max} s"),
            ));
        }
    }
    let subject = match string_claim(claims, "sub")? {
        Some(sub) if !sub.is_empty() => sub,
        _ => string_claim(claims, "client_id")?
            .filter(|id| !id.is_empty())
            .ok_or_else(|| error(TokenErrorKind::BadClaims, "sub is missing"))?,
    };
    let mut identity = CallerIdentity::new(subject, method);
    identity.tenant_id = tenant(claims, &rules.tenant_claim, &rules.allowed_tenants)?;
    identity.issuer = issuer.map(str::to_owned);
    identity.scopes = scopes(claims)?;
    identity.roles = string_list(claims, &rules.roles_claim)?;
    identity.expires_at = Some(exp);
    Ok(identity)
}

#[cfg(test)]
mod tests;
