use super::*;

fn decode_all(decoder: &mut SseDecoder, chunks: &[&[u8]]) -> Vec<SseEvent> {
    chunks
        .iter()
        .flat_map(|c| decoder.feed(c).unwrap())
        .collect()
}

fn decode(stream: &str) -> Vec<SseEvent> {
    decode_all(&mut SseDecoder::default(), &[stream.as_bytes()])
}

fn data(events: &[SseEvent]) -> Vec<&str> {
    events.iter().map(|e| e.data.as_str()).collect()
}

#[test]
fn encodes_all_fields() {
    let event = SseEvent::new("{\"a\":1}")
        .with_event("message")
        .with_id("42")
        .with_retry(3000);
    assert_eq!(
        String::from_utf8(event.encode().unwrap()).unwrap(),
        "event: message\nid: 42\nretry: 3000\ndata: {\"a\":1}\n\n"
    );
    assert_eq!(SseEvent::new("").encode().unwrap(), b"data: \n\n");
}

#[test]
fn encodes_multi_line_data_as_several_data_lines() {
    let event = SseEvent::new("a\nb\r\nc\rd\n");
    assert_eq!(
        String::from_utf8(event.encode().unwrap()).unwrap(),
        "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n"
    );
    assert_eq!(
        decode(std::str::from_utf8(&event.encode().unwrap()).unwrap())[0].data,
        "a\nb\nc\nd\n"
    );
}

#[test]
fn refuses_fields_it_cannot_encode() {
    let mut out = Vec::new();
    for event in [
        SseEvent::new("x").with_event("a\nb"),
        SseEvent::new("x").with_id("1\r"),
        SseEvent::new("x").with_id("1\0"),
    ] {
        let e = event.encode_into(&mut out).unwrap_err();
        assert!(matches!(e, Error::InvalidSseField { .. }), "{e:?}");
        assert_eq!(e.code(), -32603);
    }
    assert!(out.is_empty());
}

#[test]
fn comments_encode_on_one_line() {
    let mut out = Vec::new();
    encode_comment("keep\nalive", &mut out);
    assert_eq!(out, b": keep alive\n");
    assert!(decode(": keep alive\n\n").is_empty());
}

#[test]
fn all_line_endings() {
    for stream in [
        "data: a\n\ndata: b\n\n",
        "data: a\r\n\r\ndata: b\r\n\r\n",
        "data: a\r\rdata: b\r\r",
        "data: a\r\n\ndata: b\n\r",
    ] {
        assert_eq!(data(&decode(stream)), ["a", "b"], "{stream:?}");
    }
}

#[test]
fn crlf_split_across_chunks_is_one_line_ending() {
    let mut d = SseDecoder::default();
    let events = decode_all(&mut d, &[b"data: a\r", b"\n", b"\r", b"\ndata: b\r", b"\r"]);
    assert_eq!(data(&events), ["a", "b"]);
}

#[test]
fn byte_by_byte() {
    let stream = "event: e\r\nid: 1\r\ndata: x\r\ndata:y\r\n\r\n: c\n\ndata: z\n\n";
    let mut d = SseDecoder::default();
    let chunks: Vec<&[u8]> = stream.as_bytes().chunks(1).collect();
    let events = decode_all(&mut d, &chunks);
    assert_eq!(
        events,
        [
            SseEvent {
                event: Some("e".into()),
                data: "x\ny".into(),
                id: Some("1".into()),
                retry: None
            },
            SseEvent {
                event: None,
                data: "z".into(),
                id: Some("1".into()),
                retry: None
            },
        ]
    );
}

#[test]
fn field_parsing_rules() {
    let events = decode("data\n\ndata:no-space\ndata:  two\n\nevent\ndata: x\n\n");
    assert_eq!(data(&events), ["", "no-space\n two", "x"]);
    assert_eq!(events[2].event, None);
    let events = decode("unknown: 1\ndata: a\nDATA: b\n\n");
    assert_eq!(data(&events), ["a"]);
}

#[test]
fn blocks_without_data_are_not_dispatched() {
    let events = decode("event: ignored\n\ndata: a\n\nid: 5\n\nretry: 10\n\ndata: b\n\n");
    assert_eq!(data(&events), ["a", "b"]);
    assert_eq!(
        events[0].event, None,
        "the event type resets on a blank line"
    );
    assert_eq!(events[1].id.as_deref(), Some("5"));
    assert_eq!(events[1].retry, None, "retry belongs to its own block");
}

#[test]
fn ids() {
    let mut d = SseDecoder::default();
    let events = decode_all(
        &mut d,
        &[b"id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\nid\ndata: d\n\n"],
    );
    let ids: Vec<_> = events.iter().map(|e| e.id.as_deref()).collect();
    assert_eq!(ids, [Some("1"), Some("1"), Some("1"), None]);
    assert_eq!(d.last_event_id(), None);
    d.feed(b"id: 9\n\n").unwrap();
    assert_eq!(d.last_event_id(), Some("9"));
}

#[test]
fn retry() {
    let mut d = SseDecoder::default();
    let events = decode_all(&mut d, &[b"retry: 1500\ndata: a\n\nretry: 1x\ndata: b\n\nretry:\ndata: c\n\nretry: 99999999999999999999999\n\n"]);
    let retries: Vec<_> = events.iter().map(|e| e.retry).collect();
    assert_eq!(retries, [Some(1500), None, None]);
    assert_eq!(d.retry(), Some(1500));
}

#[test]
fn bom_is_stripped_once() {
    assert_eq!(decode("\u{feff}data: a\n\n")[0].data, "a");
    let mut d = SseDecoder::default();
    let events = decode_all(
        &mut d,
        &[b"\xef", b"\xbb", b"\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n"],
    );
    assert_eq!(
        data(&events),
        ["a"],
        "a BOM after the start makes an unknown field"
    );
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    let mut d = SseDecoder::default();
    let events = d.feed(b"data: a\xffb\n\n").unwrap();
    assert_eq!(events[0].data, "a\u{fffd}b");
}

#[test]
fn an_incomplete_event_at_the_end_is_not_dispatched() {
    assert!(decode("data: a\n").is_empty());
    assert!(decode("data: a").is_empty());
}

#[test]
fn event_size_is_bounded() {
    let mut d = SseDecoder::new(10);
    assert_eq!(
        data(&d.feed(b"event: e\ndata: 01234567\n\n").unwrap()),
        ["01234567"]
    );
    assert_eq!(
        data(&d.feed(b"data: 01234\ndata: 5678\n\n").unwrap()),
        ["01234\n5678"]
    );
    let e = d.feed(b"data: 0123456789a\n").unwrap_err();
    assert!(matches!(e, Error::SseEventTooLarge { limit: 10 }));
    assert!(d.feed(b"\n").is_err(), "a failed decoder stays failed");

    let mut d = SseDecoder::new(10);
    d.feed(b"data: 01234\n").unwrap();
    assert!(d.feed(b"data: 56789\n").is_err(), "data lines add up");

    let mut d = SseDecoder::new(10);
    assert!(
        d.feed(b"event: 0123456\ndata: 0123\n").is_err(),
        "the event type counts"
    );

    let mut d = SseDecoder::new(10);
    assert!(
        d.feed(&[b':'; 27]).is_err(),
        "an incomplete line is bounded"
    );
    let mut d = SseDecoder::new(10);
    assert!(d.feed(&[b':'; 26]).is_ok());
    assert!(d.feed(b":").is_err(), "across chunks too");
    let mut d = SseDecoder::new(10);
    let mut long = vec![b':'; 27];
    long.push(b'\n');
    assert!(
        d.feed(&long).is_err(),
        "a complete line is bounded the same way"
    );
}

#[test]
fn the_limit_does_not_depend_on_chunking() {
    let stream = b"data: 0123456789\n\n";
    for split in 0..=stream.len() {
        let mut d = SseDecoder::new(10);
        let (a, b) = stream.split_at(split);
        let mut events = d.feed(a).unwrap();
        events.extend(d.feed(b).unwrap());
        assert_eq!(data(&events), ["0123456789"], "split at {split}");
    }
}

#[test]
fn many_events_in_one_chunk_need_no_buffering() {
    let mut stream = Vec::new();
    for i in 0..100 {
        SseEvent::new(format!("event {i}"))
            .encode_into(&mut stream)
            .unwrap();
    }
    let mut d = SseDecoder::new(16);
    assert_eq!(d.feed(&stream).unwrap().len(), 100);
}

/// Found by the `sse_decode` fuzz target: an empty chunk between a `\r` and its `\n` made
/// the `\n` a second line ending, so the blank line it formed split one event in two.
#[test]
fn an_empty_chunk_between_cr_and_lf_changes_nothing() {
    let mut decoder = SseDecoder::default();
    let events = decode_all(
        &mut decoder,
        &[
            b"data: one\r",
            b"",
            b"\ndata: two\r",
            b"",
            b"",
            b"\n\r",
            b"",
            b"\n",
        ],
    );
    assert_eq!(data(&events), ["one\ntwo"]);
}
