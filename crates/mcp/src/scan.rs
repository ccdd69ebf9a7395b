//! Byte search eight bytes at a time (SWAR), for the two scans that see every byte of a
//! large payload: the JSON depth check (strings end at `"` or `\`) and SSE line
//! splitting (lines end at `\n` or `\r`).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Flags (high bit set) the zero bytes of `x`, exactly up to the first one: only flags
/// above a real zero byte can be false.
const fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The index of the first byte of `bytes` that is `a` or `b`.
#[inline]
pub(crate) fn find2(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    let (a_mask, b_mask) = (ONES * u64::from(a), ONES * u64::from(b));
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let found = zero_bytes(word ^ a_mask) | zero_bytes(word ^ b_mask);
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&c| c == a || c == b)
        .map(|at| offset + at)
}

#[cfg(test)]
mod tests;
