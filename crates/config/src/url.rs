//! A deliberately small check of absolute http(s) URLs (scheme, host, port, no
//! credentials). The gateway parses URLs properly where it uses them.

/// The parts of an http(s) URL that validation looks at.
pub(crate) struct Url<'a> {
    pub(crate) scheme: &'static str,
    pub(crate) host: &'a str,
    pub(crate) query_or_fragment: bool,
}
/// A deliberately small absolute http(s) URL check: scheme, host, optional port, no
/// credentials, no spaces. (The gateway parses URLs properly where it uses them.)
pub(crate) fn parse_url(text: &str) -> Result<Url<'_>, String> {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "invalid url {text:?}: contains spaces or control characters"
        ));
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!(
            "invalid url {text:?}: expected an absolute http:// or https:// url"
        ));
    };
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        "https"
    } else if scheme.eq_ignore_ascii_case("http") {
        "http"
    } else {
        return Err(format!(
            "invalid url {text:?}: unsupported scheme {scheme:?}, expected http or https"
        ));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err("credentials in the url are not allowed".to_owned());
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((inside, after)) = bracketed.split_once(']') else {
            return Err(format!("invalid url {text:?}: unclosed \"[\" in host"));
        };
        if inside.is_empty()
            || !inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(format!("invalid url {text:?}: invalid ipv6 host"));
        }
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => {
                    return Err(format!(
                        "invalid url {text:?}: unexpected text after the host"
                    ));
                }
            },
        };
        (&authority[..inside.len() + 2], port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("invalid url {text:?}: missing host"));
    }
    if !host.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(format!("invalid url {text:?}: invalid host {host:?}"));
    }
    if let Some(port) = port
        && (!port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().map_or(true, |p| p == 0))
    {
        return Err(format!("invalid url {text:?}: invalid port {port:?}"));
    }
    Ok(Url {
        scheme,
        host,
        query_or_fragment: tail.contains(['?', '#']),
    })
}

/// 127.0.0.1, localhost, [::1].
pub(crate) fn is_loopback(host: &str) -> bool {
    host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost") || host == "[::1]"
}
