//! `hangar_mcp::SseDecoder` fed the same stream whole, split at arbitrary points chosen
//! by the input, and one byte at a time: the events (and the decoder's last event id and
//! retry) must be the same whatever the split, and a stream that fails (an event over
//! the size limit) must fail whatever the split.
//!
//! Input layout: byte 0 picks the event size limit, bytes 1..=8 pick up to eight split
//! points, the rest is the stream.
#![no_main]

use hangar_mcp::{SseDecoder, SseEvent};
use libfuzzer_sys::fuzz_target;

/// What feeding a stream in `chunks` gave: the events until the first error, whether
/// there was one, and the decoder's final state.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<SseEvent>,
    failed: bool,
    last_event_id: Option<String>,
    retry: Option<u64>,
}

fn run<'a>(limit: usize, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut decoder = SseDecoder::new(limit);
    let mut events = Vec::new();
    for chunk in chunks {
        match decoder.feed(chunk) {
            Ok(more) => events.extend(more),
            Err(_) => {
                // A failed decoder stays failed.
                assert!(decoder.feed(b"data: x\n\n").is_err());
                return Outcome {
                    events,
                    failed: true,
                    last_event_id: None,
                    retry: None,
                };
            }
        }
    }
    Outcome {
        events,
        failed: false,
        last_event_id: decoder.last_event_id().map(str::to_owned),
        retry: decoder.retry(),
    }
}

fuzz_target!(|data: &[u8]| {
    let (head, stream) = data.split_at(data.len().min(9));
    let Some((&size, cuts)) = head.split_first() else {
        return;
    };
    // Small limits reach the size checks; 255 means the default (4 MiB).
    let limit = if size == 255 {
        SseDecoder::DEFAULT_MAX_EVENT_SIZE
    } else {
        usize::from(size) * 4
    };
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|&c| usize::from(c) * stream.len() / 255)
        .collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for point in points {
        pieces.push(&stream[start..point]);
        start = point;
    }
    pieces.push(&stream[start..]);

    let whole = run(limit, [stream]);
    let split = run(limit, pieces.iter().copied());
    let bytes = run(limit, stream.chunks(1));
    assert_eq!(whole.failed, split.failed, "split at {cuts:?}");
    assert_eq!(whole.failed, bytes.failed, "byte by byte");
    if !whole.failed {
        assert_eq!(whole, split, "split at {cuts:?}");
        assert_eq!(whole, bytes, "byte by byte");
        for event in &whole.events {
            assert!(event.data.len() + event.event.as_deref().map_or(0, str::len) <= limit);
        }
    } else {
        // Events delivered before the failure are a prefix of what a bigger decoder sees.
        let unbounded = run(usize::MAX / 2, [stream]);
        for outcome in [&split, &bytes] {
            assert!(outcome.events.len() <= unbounded.events.len());
            assert_eq!(outcome.events[..], unbounded.events[..outcome.events.len()]);
        }
    }
});
