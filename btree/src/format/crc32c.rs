//! CRC-32C (Castagnoli), the checksum on every page: what ext4, Btrfs and iSCSI use, and
//! what x86's SSE 4.2 computes in hardware. Written here rather than taken from a crate
//! because it is short: the SSE 4.2 instruction when the CPU has it (three streams at
//! once over a page, joined by a table that shifts a CRC over a block of zeros), else
//! slicing-by-8 tables built at compile time.

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

/// `TABLES[k][b]`: the CRC of byte `b` followed by `k` zero bytes.
static TABLES: [[u32; 256]; 8] = tables();

const fn tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut crc = b as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        t[0][b] = crc;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

/// The CRC-32C of `parts` concatenated.
pub(crate) fn crc32c(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for part in parts {
        crc = update(crc, part);
    }
    !crc
}

fn update(crc: u32, data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU has SSE 4.2, checked just above, which is all `update_sse42`
            // requires.
            return unsafe { update_sse42(crc, data) };
        }
    }
    update_table(crc, data)
}

fn update_table(mut crc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        crc = TABLES[7][(lo & 0xff) as usize]
            ^ TABLES[6][((lo >> 8) & 0xff) as usize]
            ^ TABLES[5][((lo >> 16) & 0xff) as usize]
            ^ TABLES[4][(lo >> 24) as usize]
            ^ TABLES[3][c[4] as usize]
            ^ TABLES[2][c[5] as usize]
            ^ TABLES[1][c[6] as usize]
            ^ TABLES[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ TABLES[0][((crc ^ b as u32) & 0xff) as usize];
    }
    crc
}

/// Bytes per stream when the hardware CRC runs three streams at once: the instruction
/// takes three cycles but starts one each cycle, so three independent CRCs cost about what
/// one does. A 4 KiB page's checksummed bytes (4,092) are three blocks and 12 bytes.
const BLOCK: usize = 1360;

/// `SHIFT[k][b]`: the CRC register `b << 8k` after [`BLOCK`] zero bytes. The register's
/// update is linear, so the register after `a` then `b` (`b` of `BLOCK` bytes) is that of
/// `a` shifted over `BLOCK` zero bytes, XOR the register after `b` from zero.
static SHIFT: [[u32; 256]; 4] = shift_tables();

const fn shift_tables() -> [[u32; 256]; 4] {
    // The image of each of the 32 bits, then of each byte value at each position.
    let mut bit = [0u32; 32];
    let mut i = 0;
    while i < 32 {
        let mut r = 1u32 << i;
        let mut n = 0;
        while n < BLOCK {
            r = (r >> 8) ^ TABLES[0][(r & 0xff) as usize];
            n += 1;
        }
        bit[i] = r;
        i += 1;
    }
    let mut t = [[0u32; 256]; 4];
    let mut k = 0;
    while k < 4 {
        let mut b = 0;
        while b < 256 {
            let mut v = 0;
            let mut j = 0;
            while j < 8 {
                if b & (1 << j) != 0 {
                    v ^= bit[8 * k + j];
                }
                j += 1;
            }
            t[k][b] = v;
            b += 1;
        }
        k += 1;
    }
    t
}

/// The register `crc` after [`BLOCK`] zero bytes.
fn shift(crc: u32) -> u32 {
    SHIFT[0][(crc & 0xff) as usize]
        ^ SHIFT[1][((crc >> 8) & 0xff) as usize]
        ^ SHIFT[2][((crc >> 16) & 0xff) as usize]
        ^ SHIFT[3][(crc >> 24) as usize]
}

/// Safety: the CPU must have SSE 4.2. (The intrinsics touch nothing but their arguments.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
unsafe fn update_sse42(crc: u32, data: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};
    let word = |c: &[u8]| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    let mut crc = crc;
    let mut rest = data;
    // Three blocks at a time, as three streams, joined by shifting.
    while rest.len() >= 3 * BLOCK {
        let (a, tail) = rest.split_at(BLOCK);
        let (b, tail) = tail.split_at(BLOCK);
        let (c, tail) = tail.split_at(BLOCK);
        let (mut x, mut y, mut z) = (crc as u64, 0u64, 0u64);
        for ((wa, wb), wc) in a
            .chunks_exact(8)
            .zip(b.chunks_exact(8))
            .zip(c.chunks_exact(8))
        {
            x = _mm_crc32_u64(x, word(wa));
            y = _mm_crc32_u64(y, word(wb));
            z = _mm_crc32_u64(z, word(wc));
        }
        crc = shift(shift(x as u32) ^ y as u32) ^ z as u32;
        rest = tail;
    }
    let mut crc = crc as u64;
    let mut chunks = rest.chunks_exact(8);
    for c in &mut chunks {
        crc = _mm_crc32_u64(crc, word(c));
    }
    let mut crc = crc as u32;
    for &b in chunks.remainder() {
        crc = _mm_crc32_u8(crc, b);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // The check value of CRC-32C (RFC 3720's iSCSI vectors use the same polynomial).
        assert_eq!(crc32c(&[b"123456789"]), 0xE306_9283);
        assert_eq!(crc32c(&[&[0u8; 32]]), 0x8A91_36AA);
        assert_eq!(crc32c(&[&[0xffu8; 32]]), 0x62A8_AB43);
        assert_eq!(crc32c(&[]), 0);
    }

    #[test]
    fn table_and_hardware_agree_and_parts_concatenate() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        // Around one and two rounds of three blocks, a 4 KiB page's bytes, a 64 KiB page.
        let rounds = [
            3 * BLOCK - 1,
            3 * BLOCK,
            3 * BLOCK + 1,
            4092,
            6 * BLOCK + 9,
            65_532,
        ];
        for len in [0, 1, 7, 8, 9, 63, 64, 999, 1000].into_iter().chain(rounds) {
            let d = &data[..len];
            assert_eq!(!update_table(!0, d), crc32c(&[d]), "len {len}");
            let (a, b) = d.split_at(len / 3);
            assert_eq!(crc32c(&[a, b]), crc32c(&[d]));
        }
    }
}
