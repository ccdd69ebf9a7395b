//! YAML → figment: parse with saphyr (YAML 1.2, with source positions), build a figment
//! [`Dict`] and, alongside, the line of every path.
//!
//! serde_yaml (what figment's `yaml` feature uses) is archived upstream; this provider
//! replaces it. Scalars are resolved with the YAML 1.2 core schema: `yes`/`on` are
//! strings, not booleans.

use std::collections::HashMap;

use figment::value::{Dict, Empty, Value};
use figment::{Metadata, Profile, Provider};
use saphyr::{MarkedYaml, Scalar, YamlData, YamlLoader};
use saphyr_parser::{Event, Marker, Parser, ScanError, Span, SpannedEventReceiver};

use crate::Error;
use crate::path::{LineMap, Segment, YamlPath};

/// Deepest nesting accepted. Real configs stay under ten levels; the limit keeps the
/// recursive conversion (and dropping the tree) far from the stack's end.
const MAX_DEPTH: usize = 64;

/// A parsed document: the values, where each path is written, and the order in which
/// the `mcp_servers` keys are written (a figment `Dict` is sorted).
#[derive(Debug, Default)]
pub(crate) struct Document {
    pub(crate) root: Dict,
    pub(crate) lines: LineMap,
    pub(crate) server_order: Vec<String>,
}

/// A figment provider serving a parsed [`Document`]'s values in the default profile.
#[derive(Debug)]
pub(crate) struct YamlProvider<'a> {
    pub(crate) origin: &'a str,
    pub(crate) root: &'a Dict,
}

impl Provider for YamlProvider<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::named("YAML file").source(self.origin.to_owned())
    }

    fn data(&self) -> Result<figment::value::Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.root.clone()))
    }
}

/// Parses `text` (one YAML document whose top level is a mapping; an empty document is
/// an empty mapping).
pub(crate) fn parse(text: &str, origin: &str) -> Result<Document, Error> {
    // Pass 1: syntax and nesting depth, on events only (nothing is built). The events
    // are pulled in a loop, not through the parser's recursive `load`, and the pass
    // stops at the first level past the limit: a file nested thousands deep is an
    // error, not a stack overflow.
    let mut probe = DepthProbe::default();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| scan_error(origin, &e))?;
        probe.on_event(event, span);
        if probe.too_deep.is_some() {
            break;
        }
    }
    if let Some(mark) = probe.too_deep {
        return Err(parse_error(
            origin,
            mark,
            format!("nesting deeper than {MAX_DEPTH} levels"),
        ));
    }

    // Pass 2: build the tree with positions. Scalars stay unresolved so keys keep their
    // exact spelling (`0x10` stays `0x10`); values are resolved below.
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    loader.early_parse(false);
    Parser::new_from_str(text)
        .load(&mut loader, true)
        .map_err(|e| scan_error(origin, &e))?;
    if let Some(e) = loader.error() {
        return Err(scan_error(origin, e));
    }
    let docs = loader.into_documents();
    if let Some(second) = docs.get(1) {
        return Err(parse_error(
            origin,
            second.span.start,
            "expected a single yaml document, found several (remove the \"---\" separators)"
                .to_owned(),
        ));
    }

    let mut document = Document::default();
    let Some(root) = docs.into_iter().next() else {
        return Ok(document);
    };
    let mut converter = Converter {
        origin,
        lines: LineMap::default(),
    };
    match &root.data {
        YamlData::Mapping(_) => {}
        // An empty document, or a lone `~` / `null`.
        YamlData::BadValue => return Ok(document),
        YamlData::Representation(raw, style, tag)
            if matches!(
                Scalar::parse_from_cow_and_metadata(raw.clone(), *style, tag.as_ref()),
                Some(Scalar::Null)
            ) =>
        {
            return Ok(document);
        }
        other => {
            return Err(parse_error(
                origin,
                root.span.start,
                format!(
                    "the top level must be a mapping (data_dir, tool_access, auth, mcp_servers), found {}",
                    kind_of(other)
                ),
            ));
        }
    }
    if let Value::Dict(_, dict) = converter.value(&root, &mut YamlPath::root())? {
        document.root = dict;
    }
    if let YamlData::Mapping(top) = &root.data {
        for (key, value) in top.iter() {
            if key_text(key).as_deref() == Some("mcp_servers")
                && let YamlData::Mapping(servers) = &value.data
            {
                document.server_order = servers.keys().filter_map(key_text).collect();
            }
        }
    }
    document.lines = converter.lines;
    Ok(document)
}

struct Converter<'a> {
    origin: &'a str,
    lines: LineMap,
}

impl Converter<'_> {
    fn value(&mut self, node: &MarkedYaml<'_>, path: &mut YamlPath) -> Result<Value, Error> {
        match &node.data {
            YamlData::Representation(raw, style, tag) => {
                match Scalar::parse_from_cow_and_metadata(raw.clone(), *style, tag.as_ref()) {
                    Some(scalar) => Ok(scalar_value(scalar)),
                    None => Err(parse_error(
                        self.origin,
                        node.span.start,
                        format!("{path}: {raw:?} is not a valid value for its tag"),
                    )),
                }
            }
            YamlData::Value(scalar) => Ok(scalar_value(scalar.clone())),
            YamlData::Sequence(items) => {
                let mut values = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    path.push(Segment::Index(i));
                    self.lines.insert(path.clone(), item.span.start.line());
                    let value = self.value(item, path);
                    path.pop();
                    values.push(value?);
                }
                Ok(Value::from(values))
            }
            YamlData::Mapping(entries) => {
                let mut dict = Dict::new();
                let mut seen: HashMap<String, usize> = HashMap::new();
                for (key_node, value_node) in entries.iter() {
                    let Some(key) = key_text(key_node) else {
                        return Err(parse_error(
                            self.origin,
                            key_node.span.start,
                            format!("{}mapping keys must be plain scalars", prefix(path)),
                        ));
                    };
                    let line = key_node.span.start.line();
                    if let Some(first) = seen.insert(key.clone(), line) {
                        return Err(parse_error(
                            self.origin,
                            key_node.span.start,
                            format!(
                                "{}duplicate key {key:?} (first written on line {first})",
                                prefix(path)
                            ),
                        ));
                    }
                    path.push(Segment::Key(key.clone()));
                    self.lines.insert(path.clone(), line);
                    let value = self.value(value_node, path);
                    path.pop();
                    dict.insert(key, value?);
                }
                Ok(Value::from(dict))
            }
            // Tags on collections (`!!map`, custom ones) carry no meaning here.
            YamlData::Tagged(_, inner) => self.value(inner, path),
            YamlData::Alias(_) | YamlData::BadValue => Err(parse_error(
                self.origin,
                node.span.start,
                format!("{}unsupported yaml value", prefix(path)),
            )),
        }
    }
}

/// `"path: "` before a message, or nothing at the top level.
fn prefix(path: &YamlPath) -> String {
    if path.is_root() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

/// A mapping key as written, if it is a scalar.
fn key_text(node: &MarkedYaml<'_>) -> Option<String> {
    match &node.data {
        YamlData::Representation(raw, _, _) => Some(raw.to_string()),
        YamlData::Value(scalar) => Some(match scalar {
            Scalar::Null => "null".to_owned(),
            Scalar::Boolean(b) => b.to_string(),
            Scalar::Integer(i) => i.to_string(),
            Scalar::FloatingPoint(f) => f.to_string(),
            Scalar::String(s) => s.to_string(),
        }),
        _ => None,
    }
}

fn scalar_value(scalar: Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::from(Empty::None),
        Scalar::Boolean(b) => Value::from(b),
        Scalar::Integer(i) => Value::from(i),
        Scalar::FloatingPoint(f) => Value::from(f.0),
        Scalar::String(s) => Value::from(s.into_owned()),
    }
}

fn kind_of<'i>(data: &YamlData<'i, MarkedYaml<'i>>) -> &'static str {
    match data {
        YamlData::Sequence(_) => "a sequence",
        YamlData::Mapping(_) => "a mapping",
        _ => "a scalar",
    }
}

fn scan_error(origin: &str, error: &ScanError) -> Error {
    parse_error(origin, *error.marker(), error.info().to_owned())
}

fn parse_error(origin: &str, mark: Marker, message: String) -> Error {
    Error::Parse {
        origin: origin.to_owned(),
        line: mark.line().max(1),
        column: mark.col() + 1,
        message,
    }
}

/// Measures nesting on the event stream, aliases included (an alias is as deep as the
/// node it names), before any tree is built.
#[derive(Default)]
struct DepthProbe {
    /// Open collections: (anchor id, height so far).
    open: Vec<(usize, usize)>,
    /// Height of each anchored node.
    anchors: HashMap<usize, usize>,
    /// Where the limit was first exceeded.
    too_deep: Option<Marker>,
}

impl DepthProbe {
    fn node_done(&mut self, anchor: usize, height: usize, mark: Marker) {
        if anchor > 0 {
            self.anchors.insert(anchor, height);
        }
        if self.open.len() + height > MAX_DEPTH && self.too_deep.is_none() {
            self.too_deep = Some(mark);
        }
        if let Some((_, parent_height)) = self.open.last_mut() {
            *parent_height = (*parent_height).max(height.saturating_add(1));
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for DepthProbe {
    fn on_event(&mut self, event: Event<'input>, span: Span) {
        match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.open.push((anchor, 1));
                if self.open.len() > MAX_DEPTH && self.too_deep.is_none() {
                    self.too_deep = Some(span.start);
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, height)) = self.open.pop() {
                    self.node_done(anchor, height, span.start);
                }
            }
            Event::Scalar(_, _, anchor, _) => self.node_done(anchor, 0, span.start),
            Event::Alias(id) => {
                let height = self.anchors.get(&id).copied().unwrap_or(0);
                self.node_done(0, height, span.start);
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => {}
        }
    }
}
