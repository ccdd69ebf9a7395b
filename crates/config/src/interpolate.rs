//! `${VAR}` / `${VAR:-default}` interpolation of string values.
//!
//! Runs on parsed string scalars only, never on the raw text: whatever a variable holds
//! (newlines, `: `, `{`) stays inside one string value and cannot add YAML structure.

use figment::value::Value;

use crate::env::Environment;
use crate::path::{Segment, YamlPath};

/// Why a string could not be interpolated (messages are lowercase, without the path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// `${NAME}` without a default, and `NAME` is not set.
    Unset(String),
    /// `${` without a closing `}`.
    Unterminated,
    /// `${...}` whose content is not `NAME` or `NAME:-default`.
    Malformed(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unset(name) => write!(
                f,
                "environment variable {name:?} is not set (write ${{{name}:-default}} to give a default)"
            ),
            Self::Unterminated => {
                f.write_str("unterminated \"${\" (write \"$${\" for a literal \"${\")")
            }
            Self::Malformed(expr) => write!(
                f,
                "invalid interpolation {expr:?}: expected ${{NAME}} or ${{NAME:-default}}, NAME made of letters, digits and _"
            ),
        }
    }
}

/// Interpolates one string. `$${` is a literal `${`; any other `$` is kept as is.
/// `${NAME:-default}` uses `default` when `NAME` is unset or empty (as in POSIX shells);
/// the default itself is not interpolated.
pub(crate) fn interpolate(input: &str, env: &dyn Environment) -> Result<String, Problem> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let close = tail.find('}').ok_or(Problem::Unterminated)?;
            let expr = &tail[..close];
            out.push_str(&resolve(expr, env)?);
            rest = &tail[close + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn resolve(expr: &str, env: &dyn Environment) -> Result<String, Problem> {
    let (name, default) = match expr.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (expr, None),
    };
    if !is_variable_name(name) {
        return Err(Problem::Malformed(format!("${{{expr}}}")));
    }
    match (env.var(name), default) {
        (Some(value), Some(default)) if value.is_empty() => Ok(default.to_owned()),
        (Some(value), _) => Ok(value),
        (None, Some(default)) => Ok(default.to_owned()),
        (None, None) => Err(Problem::Unset(name.to_owned())),
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Interpolates every string value of a tree (keys are left alone) and returns each
/// problem with its path. Strings that fail are left unchanged.
pub(crate) fn interpolate_tree(
    value: &mut Value,
    env: &dyn Environment,
) -> Vec<(YamlPath, Problem)> {
    let mut problems = Vec::new();
    walk(value, &mut YamlPath::root(), env, &mut problems);
    problems
}

fn walk(
    value: &mut Value,
    path: &mut YamlPath,
    env: &dyn Environment,
    problems: &mut Vec<(YamlPath, Problem)>,
) {
    match value {
        Value::String(_, text) => {
            if text.contains('$') {
                match interpolate(text, env) {
                    Ok(new) => *text = new,
                    Err(problem) => problems.push((path.clone(), problem)),
                }
            }
        }
        Value::Dict(_, dict) => {
            for (key, child) in dict.iter_mut() {
                path.push(Segment::Key(key.clone()));
                walk(child, path, env, problems);
                path.pop();
            }
        }
        Value::Array(_, items) => {
            for (i, child) in items.iter_mut().enumerate() {
                path.push(Segment::Index(i));
                walk(child, path, env, problems);
                path.pop();
            }
        }
        Value::Char(..) | Value::Bool(..) | Value::Num(..) | Value::Empty(..) => {}
    }
}
