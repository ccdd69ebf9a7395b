//! Certificate subjects: the RFC 4514 string a caller is known by, and the subject
//! patterns of `auth.mtls.allowed_subjects` and `auth.mtls.tenant_map`.
//!
//! A subject is rendered as RFC 4514 renders it (the last RDN of the certificate first, so
//! a conventional `C, O, CN` name reads `CN=service-a,O=Acme,C=DE`). Patterns are matched
//! against the subject's attributes, not against that string, so the order in which a
//! pattern names its attributes does not matter.

use globset::{GlobBuilder, GlobMatcher};
use x509_parser::asn1_rs::{Any, Tag, ToDer};
use x509_parser::x509::X509Name;

/// Attribute types with a name: (dotted OID, the name rendered, other accepted spellings).
/// RFC 4514 §3 names first, then registered descriptors seen in client certificates.
const ATTRIBUTE_TYPES: &[(&str, &str, &[&str])] = &[
    ("2.5.4.3", "CN", &["commonName"]),
    ("2.5.4.6", "C", &["countryName"]),
    ("2.5.4.7", "L", &["localityName"]),
    ("2.5.4.8", "ST", &["stateOrProvinceName"]),
    ("2.5.4.9", "STREET", &["streetAddress"]),
    ("2.5.4.10", "O", &["organizationName"]),
    ("2.5.4.11", "OU", &["organizationalUnitName"]),
    ("0.9.2342.19200300.100.1.25", "DC", &["domainComponent"]),
    ("0.9.2342.19200300.100.1.1", "UID", &["userId"]),
    ("2.5.4.4", "SN", &["surname"]),
    ("2.5.4.42", "GN", &["givenName"]),
    ("2.5.4.5", "serialNumber", &[]),
    ("2.5.4.12", "title", &[]),
    ("1.2.840.113549.1.9.1", "emailAddress", &["E", "email"]),
];

/// The name rendered for an attribute type: its short name, or the dotted OID.
fn type_name(oid: &str) -> &str {
    ATTRIBUTE_TYPES
        .iter()
        .find(|(known, _, _)| *known == oid)
        .map_or(oid, |(_, name, _)| name)
}

/// The dotted OID of an attribute type written in a pattern (`CN`, `cn`, `2.5.4.3`).
fn type_oid(name: &str) -> Option<String> {
    if is_dotted_oid(name) {
        return Some(name.to_owned());
    }
    ATTRIBUTE_TYPES
        .iter()
        .find(|(_, short, aliases)| {
            short.eq_ignore_ascii_case(name) || aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
        .map(|(oid, _, _)| (*oid).to_owned())
}

fn is_dotted_oid(text: &str) -> bool {
    let mut arcs = 0;
    for arc in text.split('.') {
        if arc.is_empty() || !arc.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        arcs += 1;
    }
    arcs >= 2
}

/// One attribute value: text, or (for a type with no string form) the `#`-prefixed hex of
/// its DER encoding, as RFC 4514 §2.4 writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttributeValue {
    /// A string type (UTF8String, PrintableString, IA5String, BMPString, …).
    Text(String),
    /// `#` and the hex of the DER encoding.
    Der(String),
}

impl AttributeValue {
    /// What patterns match against.
    fn as_str(&self) -> &str {
        match self {
            Self::Text(text) | Self::Der(text) => text,
        }
    }

    fn from_any(any: &Any<'_>) -> Self {
        let text = match any.header.tag() {
            Tag::Utf8String
            | Tag::PrintableString
            | Tag::Ia5String
            | Tag::NumericString
            | Tag::VisibleString => std::str::from_utf8(any.data).ok().map(str::to_owned),
            Tag::BmpString => decode_utf16_be(any.data),
            Tag::UniversalString => decode_ucs4_be(any.data),
            _ => None,
        };
        match text {
            Some(text) => Self::Text(text),
            None => {
                let der = any.to_der_vec().unwrap_or_else(|_| any.data.to_vec());
                let mut hex = String::with_capacity(1 + 2 * der.len());
                hex.push('#');
                for byte in der {
                    hex.push_str(&format!("{byte:02X}"));
                }
                Self::Der(hex)
            }
        }
    }
}

fn decode_utf16_be(data: &[u8]) -> Option<String> {
    if !data.len().is_multiple_of(2) {
        return None;
    }
    let units = data
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

fn decode_ucs4_be(data: &[u8]) -> Option<String> {
    if !data.len().is_multiple_of(4) {
        return None;
    }
    data.chunks_exact(4)
        .map(|quad| char::from_u32(u32::from_be_bytes([quad[0], quad[1], quad[2], quad[3]])))
        .collect()
}

/// One attribute of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    /// The dotted OID of the type.
    pub(crate) oid: String,
    /// The value.
    pub(crate) value: AttributeValue,
}

impl Attribute {
    /// An attribute with a text value (tests and callers that build subjects by hand).
    #[cfg(test)]
    pub(crate) fn text(oid: &str, value: &str) -> Self {
        Self {
            oid: oid.to_owned(),
            value: AttributeValue::Text(value.to_owned()),
        }
    }
}

/// A certificate subject: its attributes and its RFC 4514 string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subject {
    attributes: Vec<Attribute>,
    rendered: String,
}

impl Subject {
    /// The subject of a parsed certificate.
    pub(crate) fn from_name(name: &X509Name<'_>) -> Self {
        let rdns = name
            .iter()
            .map(|rdn| {
                rdn.iter()
                    .map(|attribute| Attribute {
                        oid: attribute.attr_type().to_id_string(),
                        value: AttributeValue::from_any(attribute.attr_value()),
                    })
                    .collect()
            })
            .collect();
        Self::from_rdns(rdns)
    }

    /// A subject from its RDNs in certificate (DER) order; each RDN holds one or more
    /// attributes.
    pub(crate) fn from_rdns(rdns: Vec<Vec<Attribute>>) -> Self {
        let mut rendered = String::new();
        // RFC 4514 §2.1: the last RDN of the sequence first.
        for (i, rdn) in rdns.iter().rev().enumerate() {
            if i > 0 {
                rendered.push(',');
            }
            for (j, attribute) in rdn.iter().enumerate() {
                if j > 0 {
                    rendered.push('+');
                }
                rendered.push_str(type_name(&attribute.oid));
                rendered.push('=');
                match &attribute.value {
                    AttributeValue::Text(text) => escape_value(text, &mut rendered),
                    AttributeValue::Der(hex) => rendered.push_str(hex),
                }
            }
        }
        Self {
            attributes: rdns.into_iter().rev().flatten().collect(),
            rendered,
        }
    }

    /// The RFC 4514 string (`CN=service-a,O=Acme`).
    pub(crate) fn as_str(&self) -> &str {
        &self.rendered
    }

    /// Whether the subject has no attribute at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }
}

/// Appends `value` escaped as RFC 4514 §2.4 asks, plus control characters as hex pairs so a
/// subject is always one printable line in logs.
fn escape_value(value: &str, out: &mut String) {
    for (i, c) in value.char_indices() {
        let first = i == 0;
        let last = i + c.len_utf8() == value.len();
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if first => out.push_str("\\#"),
            ' ' if first || last => out.push_str("\\ "),
            c if c.is_control() => {
                let mut buf = [0; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{byte:02X}"));
                }
            }
            c => out.push(c),
        }
    }
}

/// A subject pattern: `CN=service-*`, `CN=svc-a,O=Acme`.
///
/// Each `TYPE=VALUE` term must be matched by an attribute of the subject with that type
/// and a value the glob matches (globset syntax, case-sensitive, `*` matches any run of
/// characters); all terms must match. Terms are separated by `,` (or `+`); values use
/// RFC 4514 escapes (`\,`, `\+`, `\\`, `\2C`), and an escaped glob character (`\*`) is
/// literal.
#[derive(Debug, Clone)]
pub(crate) struct SubjectPattern {
    source: String,
    terms: Vec<Term>,
    literal_chars: usize,
}

#[derive(Debug, Clone)]
struct Term {
    oid: String,
    glob: GlobMatcher,
}

/// A character of a pattern, and whether it was written escaped.
#[derive(Debug, Clone, Copy)]
struct PatternChar {
    c: char,
    escaped: bool,
}

impl SubjectPattern {
    /// Parses a pattern; the error is a lowercase sentence for `Error::Config`.
    pub(crate) fn parse(source: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        let mut literal_chars = 0;
        for component in split_components(source)? {
            let (oid, glob, literals) = parse_term(&component)?;
            literal_chars += literals;
            terms.push(Term { oid, glob });
        }
        Ok(Self {
            source: source.to_owned(),
            terms,
            literal_chars,
        })
    }

    /// Whether every term of the pattern is matched by an attribute of `subject`.
    pub(crate) fn matches(&self, subject: &Subject) -> bool {
        self.terms.iter().all(|term| {
            subject
                .attributes
                .iter()
                .any(|a| a.oid == term.oid && term.glob.is_match(a.value.as_str()))
        })
    }

    /// How specific the pattern is: its number of terms, then its number of characters
    /// other than `*` and `?`. More is more specific.
    pub(crate) fn specificity(&self) -> (usize, usize) {
        (self.terms.len(), self.literal_chars)
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }
}

/// Splits a pattern at unescaped `,` and `+`, resolving escapes.
fn split_components(source: &str) -> Result<Vec<Vec<PatternChar>>, String> {
    let mut components = vec![Vec::new()];
    let mut pending_bytes: Vec<u8> = Vec::new();
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let Some(next) = chars.next() else {
                return Err("ends with a lone \"\\\"".to_owned());
            };
            if let (Some(high), Some(&low)) = (next.to_digit(16), chars.peek())
                && let Some(low) = low.to_digit(16)
            {
                chars.next();
                // Both digits are < 16.
                pending_bytes.push(u8::try_from(high * 16 + low).unwrap_or_default());
                continue;
            }
            flush_bytes(&mut pending_bytes, &mut components)?;
            push_char(&mut components, next, true);
            continue;
        }
        flush_bytes(&mut pending_bytes, &mut components)?;
        if c == ',' || c == '+' {
            components.push(Vec::new());
        } else {
            push_char(&mut components, c, false);
        }
    }
    flush_bytes(&mut pending_bytes, &mut components)?;
    Ok(components)
}

fn push_char(components: &mut [Vec<PatternChar>], c: char, escaped: bool) {
    if let Some(last) = components.last_mut() {
        last.push(PatternChar { c, escaped });
    }
}

/// Decodes hex-pair escapes (`\C3\A9`) collected so far as UTF-8.
fn flush_bytes(bytes: &mut Vec<u8>, components: &mut [Vec<PatternChar>]) -> Result<(), String> {
    if bytes.is_empty() {
        return Ok(());
    }
    let text = String::from_utf8(std::mem::take(bytes))
        .map_err(|_| "hex escapes that are not valid utf-8".to_owned())?;
    for c in text.chars() {
        push_char(components, c, true);
    }
    Ok(())
}

/// Drops unescaped white space at both ends.
fn trim(mut chars: &[PatternChar]) -> &[PatternChar] {
    while let [first, rest @ ..] = chars
        && !first.escaped
        && first.c.is_whitespace()
    {
        chars = rest;
    }
    while let [rest @ .., last] = chars
        && !last.escaped
        && last.c.is_whitespace()
    {
        chars = rest;
    }
    chars
}

/// One `TYPE=VALUE` term: the type's OID, the compiled glob, its literal characters.
fn parse_term(component: &[PatternChar]) -> Result<(String, GlobMatcher, usize), String> {
    let text: String = component.iter().map(|pc| pc.c).collect();
    let component = trim(component);
    if component.is_empty() {
        return Err("empty term (two separators in a row, or one at an end)".to_owned());
    }
    let Some(equals) = component.iter().position(|pc| pc.c == '=' && !pc.escaped) else {
        return Err(format!("expected TYPE=VALUE, found {:?}", text.trim()));
    };
    let (name, value) = (trim(&component[..equals]), trim(&component[equals + 1..]));
    if name.is_empty() {
        return Err(format!("missing attribute type in {:?}", text.trim()));
    }
    let name: String = name.iter().map(|pc| pc.c).collect();
    let Some(oid) = type_oid(&name) else {
        return Err(format!(
            "unknown attribute type {name:?} (use CN, O, OU, C, L, ST, DC, UID, emailAddress, … or a dotted oid such as 2.5.4.3)"
        ));
    };
    if value.is_empty() {
        return Err(format!(
            "empty value for {name} (write {name}=* to accept any value)"
        ));
    }
    let mut glob = String::new();
    let mut literals = 0;
    for pc in value {
        match (pc.c, pc.escaped) {
            ('\\', _) => glob.push_str("\\\\"),
            ('*' | '?' | '[' | ']' | '{' | '}', true) => {
                glob.push('[');
                glob.push(pc.c);
                glob.push(']');
            }
            (c, _) => glob.push(c),
        }
        if pc.escaped || !matches!(pc.c, '*' | '?') {
            literals += 1;
        }
    }
    let matcher = GlobBuilder::new(&glob)
        .literal_separator(false)
        .backslash_escape(true)
        .case_insensitive(false)
        .build()
        .map_err(|e| format!("invalid glob in {}: {}", text.trim(), e.kind()))?
        .compile_matcher();
    Ok((oid, matcher, literals))
}
