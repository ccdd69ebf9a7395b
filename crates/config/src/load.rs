//! The loading pipeline: read → parse (saphyr) → interpolate `${VAR}` → merge
//! `HANGAR_*` overrides (figment) → extract the raw model → validate.

use std::path::Path;

use figment::Figment;
use figment::error::{Actual, Kind};
use figment::value::{Dict, Value};

use crate::Error;
use crate::config::Config;
use crate::env::{Environment, ProcessEnvironment};
use crate::error::Reporter;
use crate::interpolate::interpolate_tree;
use crate::overrides::{Overrides, OverridesProvider};
use crate::path::{Segment, YamlPath};
use crate::raw::RawConfig;
use crate::validate::Validator;
use crate::yaml::{self, YamlProvider};

/// At most this many type / unknown-key problems are collected before giving up.
const MAX_EXTRACT_PROBLEMS: usize = 100;

impl Config {
    /// Loads the file at `path` with the process environment.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be read, [`Error::Parse`] if it is not YAML,
    /// [`Error::Invalid`] listing every problem otherwise.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, Error> {
        Self::load_with(path, &ProcessEnvironment)
    }

    /// Loads the file at `path`, reading `${VAR}` values and `HANGAR_*` overrides from
    /// `env`. Relative paths in the file (`data_dir`, key and CA files) are resolved
    /// against the file's directory.
    ///
    /// # Errors
    ///
    /// As [`Config::load`].
    pub fn load_with(path: impl AsRef<Path>, env: &dyn Environment) -> Result<Config, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let origin = path.display().to_string();
        load_text(&text, &origin, env, path.parent())
    }

    /// Loads a configuration from YAML text. `origin` names it in messages (usually the
    /// file name); relative paths in it are kept as written.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] if the text is not YAML, [`Error::Invalid`] listing every
    /// problem otherwise.
    pub fn from_yaml_str(text: &str, origin: &str, env: &dyn Environment) -> Result<Config, Error> {
        load_text(text, origin, env, None)
    }
}

fn load_text(
    text: &str,
    origin: &str,
    env: &dyn Environment,
    base_dir: Option<&Path>,
) -> Result<Config, Error> {
    // Parse: syntax errors stop here (nothing else can be trusted).
    let document = yaml::parse(text, origin)?;
    let overrides = Overrides::from_env(env);
    let mut reporter = Reporter {
        origin,
        lines: &document.lines,
        overrides: &overrides,
        diagnostics: Vec::new(),
    };

    // Interpolate the file's string values. A value an override replaces is not
    // interpolated (its variable need not be set); override values are taken literally.
    let mut root = Value::from(document.root.clone());
    for (path, problem) in interpolate_tree(&mut root, env) {
        if overrides.source_of(&path).is_none() {
            reporter.report(&path, problem.to_string());
        }
    }
    for (name, problem) in &overrides.problems {
        reporter.report(
            &YamlPath::root(),
            format!("environment variable {name}: {problem}"),
        );
    }
    if reporter.has_problems() {
        // Values are wrong or missing; checking them further would only add noise.
        return Err(reporter.take_error());
    }
    // The tree built from a mapping is a mapping; interpolation only rewrites strings.
    let root = match root {
        Value::Dict(_, root) => root,
        _ => Dict::new(),
    };

    // Merge the overrides over the file, then extract the raw model.
    let figment = Figment::new()
        .merge(YamlProvider {
            origin,
            root: &root,
        })
        .merge(OverridesProvider(&overrides));
    let raw = extract(&figment, &mut reporter);

    // Validate into typed sections, collecting every problem.
    let config = Validator {
        reporter: &mut reporter,
        base_dir,
        env,
        server_order: &document.server_order,
    }
    .config(raw);
    if reporter.has_problems() {
        Err(reporter.take_error())
    } else {
        Ok(config)
    }
}

/// Extracts the raw model. serde stops at the first problem, so on failure the
/// offending entry is reported, removed, and extraction retried, until it succeeds:
/// every unknown key and wrong type is reported, not only the first.
fn extract(figment: &Figment, reporter: &mut Reporter<'_>) -> RawConfig {
    if let Ok(raw) = figment.extract::<RawConfig>() {
        return raw;
    }
    let mut value = match figment.extract::<Value>() {
        Ok(value) => value,
        Err(error) => {
            reporter.report(&YamlPath::root(), describe(&error.kind));
            return RawConfig::default();
        }
    };
    for _ in 0..MAX_EXTRACT_PROBLEMS {
        match value.deserialize::<RawConfig>() {
            Ok(raw) => return raw,
            Err(error) => {
                let mut path = resolve(&value, &error.path);
                if let Kind::MissingField(field) = &error.kind {
                    path.push(Segment::Key(field.to_string()));
                }
                reporter.report(&path, describe(&error.kind));
                if !remove_entry(&mut value, &path) {
                    break;
                }
            }
        }
    }
    RawConfig::default()
}

/// figment's error path (`["auth", "api_keys", "0", "nam"]`) as a [`YamlPath`]:
/// a number under a sequence is an index, anything else a key.
fn resolve(value: &Value, segments: &[String]) -> YamlPath {
    let mut path = YamlPath::root();
    let mut current = Some(value);
    for segment in segments {
        match current {
            Some(Value::Array(_, items)) if segment.parse::<usize>().is_ok() => {
                let index = segment.parse::<usize>().unwrap_or(0);
                path.push(Segment::Index(index));
                current = items.get(index);
            }
            Some(Value::Dict(_, dict)) => {
                path.push(Segment::Key(segment.clone()));
                current = dict.get(segment);
            }
            _ => {
                path.push(Segment::Key(segment.clone()));
                current = None;
            }
        }
    }
    path
}

/// Removes the mapping entry at `path`, or at its nearest ancestor that is a mapping
/// entry (a bad sequence item removes the whole sequence, so later indices keep their
/// meaning). Whether anything was removed.
fn remove_entry(value: &mut Value, path: &YamlPath) -> bool {
    let segments = path.segments();
    for end in (1..=segments.len()).rev() {
        if let Segment::Key(key) = &segments[end - 1] {
            return match lookup_mut(value, &segments[..end - 1]) {
                Some(Value::Dict(_, dict)) => dict.remove(key).is_some(),
                _ => false,
            };
        }
    }
    false
}

fn lookup_mut<'v>(value: &'v mut Value, segments: &[Segment]) -> Option<&'v mut Value> {
    let mut current = value;
    for segment in segments {
        current = match (current, segment) {
            (Value::Dict(_, dict), Segment::Key(key)) => dict.get_mut(key)?,
            (Value::Array(_, items), Segment::Index(index)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(current)
}

/// A figment / serde error kind as a lowercase message.
fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Message(message) => message.clone(),
        Kind::InvalidType(actual, expected) => {
            format!(
                "expected {}, found {}",
                expected_text(expected),
                actual_text(actual)
            )
        }
        Kind::InvalidValue(actual, expected) => {
            format!(
                "invalid value {}, expected {}",
                actual_text(actual),
                expected_text(expected)
            )
        }
        Kind::InvalidLength(length, expected) => {
            format!("invalid length {length}, expected {expected}")
        }
        Kind::UnknownVariant(variant, expected) => {
            format!("unknown variant {variant:?}, expected {}", one_of(expected))
        }
        Kind::UnknownField(field, expected) => {
            format!("unknown key {field:?}, expected {}", one_of(expected))
        }
        Kind::MissingField(field) => format!("missing key {field:?}"),
        Kind::DuplicateField(field) => format!("duplicate key {field:?}"),
        Kind::ISizeOutOfRange(n) => format!("integer {n} is out of range"),
        Kind::USizeOutOfRange(n) => format!("integer {n} is out of range"),
        Kind::Unsupported(actual) => format!("unsupported value: {}", actual_text(actual)),
        Kind::UnsupportedKey(actual, expected) => {
            format!(
                "unsupported key {}, expected {expected}",
                actual_text(actual)
            )
        }
    }
}

/// `"a"`, `"a" or "b"`, `one of "a", "b", "c"`.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => "nothing here".to_owned(),
        [one] => format!("{one:?}"),
        [a, b] => format!("{a:?} or {b:?}"),
        many => {
            let quoted: Vec<String> = many.iter().map(|n| format!("{n:?}")).collect();
            format!("one of {}", quoted.join(", "))
        }
    }
}

/// serde's "expected" texts in config words.
fn expected_text(expected: &str) -> String {
    if expected.starts_with("struct ") || expected == "a map" {
        "a mapping".to_owned()
    } else if expected.starts_with("enum ") {
        "a string".to_owned()
    } else {
        expected.to_owned()
    }
}

fn actual_text(actual: &Actual) -> String {
    match actual {
        Actual::Bool(b) => format!("boolean {b}"),
        Actual::Unsigned(n) => format!("integer {n}"),
        Actual::Signed(n) => format!("integer {n}"),
        Actual::Float(f) => format!("number {f}"),
        Actual::Char(c) => format!("string {:?}", shorten(&c.to_string())),
        Actual::Str(s) => format!("string {:?}", shorten(s)),
        Actual::Unit | Actual::Option => "null".to_owned(),
        Actual::Seq => "a sequence".to_owned(),
        Actual::Map => "a mapping".to_owned(),
        other => other.to_string(),
    }
}

/// Long values are cut: they may be secrets put in the wrong place.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX).collect();
        short.push('…');
        short
    }
}
