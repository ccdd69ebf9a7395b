use super::{RecordIndex, build};

/// Records of `[len: u16][pad: u16][name]`, 4-byte aligned; returns (arena, offsets).
fn records(names: &[&str]) -> (Vec<u8>, Vec<u32>) {
    let mut arena = Vec::new();
    let mut offsets = Vec::new();
    for name in names {
        arena.resize(arena.len().next_multiple_of(4), 0);
        offsets.push(arena.len() as u32);
        arena.extend_from_slice(&(name.len() as u16).to_le_bytes());
        arena.extend_from_slice(&[0, 0]);
        arena.extend_from_slice(name.as_bytes());
    }
    (arena, offsets)
}

#[test]
fn both_slot_widths_find_every_name_and_nothing_else() {
    let names: Vec<String> = (0..500).map(|i| format!("tenant:{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (arena, offsets) = records(&names);
    let narrow = RecordIndex::Narrow(build(&offsets, &arena, 4));
    let wide = RecordIndex::Wide(build(&offsets, &arena, 4));
    for index in [&narrow, &wide] {
        for (name, &at) in names.iter().zip(&offsets) {
            let (found, stored) = index.find(name, &arena, 4).unwrap();
            assert_eq!((found, stored), (at as usize, name.as_bytes()));
        }
        for missing in ["", "tenant:", "tenant:500", "tenant:10x", "x"] {
            assert!(index.find(missing, &arena, 4).is_none(), "{missing}");
        }
    }
    assert!(RecordIndex::default().find("x", &arena, 4).is_none());
    assert!(matches!(
        RecordIndex::new(&offsets, &arena, 4),
        RecordIndex::Narrow(_)
    ));
}
