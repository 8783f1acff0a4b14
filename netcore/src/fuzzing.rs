//! What the fuzz targets of the crates built on netcore share (`fuzz/`): how an input
//! chooses where it is split. Not an API: hidden from the docs.

/// How many bytes at the start of an incremental target's input choose its split points.
pub const SPLIT_BYTES: usize = 6;

/// The split points an input chooses, and the rest of it, the bytes to split: its first
/// [`SPLIT_BYTES`] bytes are three little-endian `u16`, each a point modulo the rest's length
/// (0: no split); returned sorted and distinct. A shorter input is all header and splits
/// nothing.
///
/// An incremental parser must give the same result however its input is split. Trying every
/// split point costs a parse of the whole input per point, quadratic in its length; instead
/// each execution tries the few the input chooses, and libFuzzer, which mutates them as any
/// other bytes, explores the points across the executions.
pub fn split_points(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let (head, rest) = data.split_at(data.len().min(SPLIT_BYTES));
    let mut points: Vec<usize> = head
        .chunks_exact(2)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        .filter_map(|n| n.checked_rem(rest.len()))
        .filter(|&n| n > 0)
        .collect();
    points.sort_unstable();
    points.dedup();
    (points, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_six_bytes_choose_up_to_three_points_in_the_rest() {
        let input = [&[3, 0, 1, 1, 3, 0][..], b"0123456789"].concat();
        // 3, 257 % 10 = 7, and 3 again.
        assert_eq!(split_points(&input), (vec![3, 7], &b"0123456789"[..]));
        assert_eq!(split_points(&[0; 9]), (vec![], &[0u8; 3][..]));
        assert_eq!(split_points(&[5, 0]), (vec![], &[][..]));
    }
}
