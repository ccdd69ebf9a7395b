//! Strict JSON-RPC 2.0 decoding: size, UTF-8 and depth checks first, then one borrowed
//! parse of the envelope, then owned copies of the raw members.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::error::Category;
use serde_json::value::RawValue;

use super::limits::{DecodeLimits, check_depth};
use super::{ErrorObject, ErrorResponse, Id, Message, Notification, Request, Response};
use crate::error::Error;

pub(super) fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Message, Error> {
    if bytes.len() > limits.size_limit() {
        return Err(Error::TooLarge {
            size: bytes.len(),
            limit: limits.size_limit(),
        });
    }
    if let Some(limit) = limits.depth_limit() {
        check_depth(bytes, limit)?;
    }
    // No separate UTF-8 pass: serde_json checks every string and raw value it reads, and
    // the envelope reads every member (see `Envelope`).
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        decode_batch(bytes, limits)
    } else {
        decode_one(bytes)
    }
}

fn decode_batch(bytes: &[u8], limits: &DecodeLimits) -> Result<Message, Error> {
    let items: Vec<&RawValue> = serde_json::from_slice(bytes).map_err(|e| json_error(e, bytes))?;
    if !limits.allows_batch() {
        return Err(Error::BatchNotAllowed);
    }
    if items.is_empty() {
        return Err(invalid("a batch must not be empty", None));
    }
    let messages = items
        .into_iter()
        .map(|raw| {
            if raw.get().starts_with('[') {
                Err(invalid("batches must not be nested", None))
            } else {
                decode_one(raw.get().as_bytes())
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Message::Batch(messages))
}

/// The envelope as it appears on the wire: each member raw, and present even when it is
/// `null` (a plain `Option` would confuse `"id": null` with no id). Deserialised by hand
/// so that it accepts only an object, refuses duplicate members, and reads unknown
/// members as raw values too: serde_json then checks the UTF-8 of every byte while it
/// parses, and no separate validation pass is needed.
#[derive(Default)]
struct Envelope<'a> {
    jsonrpc: Option<&'a RawValue>,
    id: Option<&'a RawValue>,
    method: Option<&'a RawValue>,
    params: Option<&'a RawValue>,
    result: Option<&'a RawValue>,
    error: Option<&'a RawValue>,
}

/// An envelope member name, read without allocating.
enum Member {
    Jsonrpc,
    Id,
    Method,
    Params,
    Result,
    Error,
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MemberVisitor;

        impl Visitor<'_> for MemberVisitor {
            type Value = Member;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Member, E> {
                Ok(match name {
                    "jsonrpc" => Member::Jsonrpc,
                    "id" => Member::Id,
                    "method" => Member::Method,
                    "params" => Member::Params,
                    "result" => Member::Result,
                    "error" => Member::Error,
                    _ => Member::Other,
                })
            }
        }

        d.deserialize_identifier(MemberVisitor)
    }
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor;

        impl<'de> Visitor<'de> for EnvelopeVisitor {
            type Value = Envelope<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a json-rpc message object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope<'de>, A::Error> {
                let mut env = Envelope::default();
                while let Some(member) = map.next_key::<Member>()? {
                    let (slot, name) = match member {
                        Member::Jsonrpc => (&mut env.jsonrpc, "jsonrpc"),
                        Member::Id => (&mut env.id, "id"),
                        Member::Method => (&mut env.method, "method"),
                        Member::Params => (&mut env.params, "params"),
                        Member::Result => (&mut env.result, "result"),
                        Member::Error => (&mut env.error, "error"),
                        Member::Other => {
                            map.next_value::<&RawValue>()?;
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(de::Error::duplicate_field(name));
                    }
                    *slot = Some(map.next_value()?);
                }
                Ok(env)
            }
        }

        d.deserialize_map(EnvelopeVisitor)
    }
}

#[derive(Deserialize)]
struct RawError<'a> {
    code: i64,
    message: String,
    #[serde(borrow, default, deserialize_with = "present")]
    data: Option<&'a RawValue>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// What the `id` member holds.
enum IdField {
    Absent,
    Null,
    Valid(Id),
    Invalid,
}

fn decode_one(bytes: &[u8]) -> Result<Message, Error> {
    let env: Envelope<'_> = serde_json::from_slice(bytes).map_err(|e| json_error(e, bytes))?;
    let id = match env.id {
        None => IdField::Absent,
        Some(raw) if raw.get() == "null" => IdField::Null,
        Some(raw) => Id::from_raw(raw).map_or(IdField::Invalid, IdField::Valid),
    };
    let known = match &id {
        IdField::Valid(id) => Some(id.clone()),
        _ => None,
    };
    let fail = |reason| Err(invalid(reason, known.clone()));
    match env.jsonrpc {
        Some(v)
            if v.get() == r#""2.0""#
                || serde_json::from_str::<String>(v.get()).is_ok_and(|s| s == "2.0") => {}
        Some(_) => return fail(r#"jsonrpc must be "2.0""#),
        None => return fail("missing jsonrpc member"),
    }
    if let Some(method) = env.method {
        if env.result.is_some() || env.error.is_some() {
            return fail("a request must not carry result or error");
        }
        let Ok(method) = serde_json::from_str::<String>(method.get()) else {
            return fail("method must be a string");
        };
        let params = match env.params {
            Some(p) if p.get().starts_with(['{', '[']) => Some(p.to_owned()),
            Some(_) => return fail("params must be an object or an array"),
            None => None,
        };
        return match id {
            IdField::Absent => Ok(Message::Notification(Notification { method, params })),
            IdField::Valid(id) => Ok(Message::Request(Request { id, method, params })),
            IdField::Null => fail("a request id must not be null"),
            IdField::Invalid => fail("id must be a string or an integer"),
        };
    }
    if env.params.is_some() {
        return fail("a response must not carry params");
    }
    match (env.result, env.error) {
        (Some(_), Some(_)) => fail("a response must not carry both result and error"),
        (Some(result), None) => match id {
            IdField::Valid(id) => Ok(Message::Response(Response {
                id,
                result: result.to_owned(),
            })),
            IdField::Absent => fail("a response needs an id"),
            IdField::Null => fail("a result response id must not be null"),
            IdField::Invalid => fail("id must be a string or an integer"),
        },
        (None, Some(error)) => {
            let id = match id {
                IdField::Valid(id) => Some(id),
                IdField::Absent | IdField::Null => None,
                IdField::Invalid => return fail("id must be a string, an integer or null"),
            };
            // An object only: serde would also fill the struct from an array.
            let parsed = error
                .get()
                .starts_with('{')
                .then(|| serde_json::from_str::<RawError<'_>>(error.get()));
            let Some(Ok(raw)) = parsed else {
                return Err(invalid(
                    "error must be an object with an integer code and a string message",
                    id,
                ));
            };
            let error = ErrorObject {
                code: raw.code,
                message: raw.message,
                data: raw.data.map(ToOwned::to_owned),
            };
            Ok(Message::ErrorResponse(ErrorResponse { id, error }))
        }
        (None, None) => fail("missing method, result or error"),
    }
}

fn invalid(reason: &'static str, id: Option<Id>) -> Error {
    Error::InvalidRequest { reason, id }
}

/// A serde_json failure is a parse error when the input is not UTF-8 JSON at all, and an
/// invalid request when it is JSON of the wrong shape (a number, a duplicate member…).
/// The shape check can fail before the parser reaches a later syntax error, so a shape
/// failure re-checks the syntax (only failures pay for these second looks).
fn json_error(e: serde_json::Error, bytes: &[u8]) -> Error {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(utf8) => return Error::InvalidUtf8(utf8),
    };
    match e.classify() {
        Category::Data => match serde_json::from_str::<de::IgnoredAny>(text) {
            Ok(_) => invalid("not a json-rpc 2.0 message", None),
            Err(syntax) => Error::InvalidJson(syntax),
        },
        Category::Syntax | Category::Eof | Category::Io => Error::InvalidJson(e),
    }
}
