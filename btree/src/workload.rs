//! The deterministic workload of the crash tests (`btree torture`): commit n's operations
//! depend only on n, so a test that knows the last commit a killed writer reported can
//! rebuild exactly what the file must hold. Keys and values of every size class: tiny,
//! long keys, values inline and in overflow chains of one or many pages, and runs of
//! deletes that make the tree shrink and merge. Not part of the library's interface.

use std::collections::BTreeMap;

/// The key whose value is the number of the commit that wrote it.
pub const COUNTER_KEY: &[u8] = b"\xffcommit";

/// A small, fast, seeded random source (splitmix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 if n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Put(Vec<u8>, Vec<u8>),
    Del(Vec<u8>),
}

/// Key number `i` of the workload: mostly short, every fifth 45 bytes, every eleventh 305.
pub fn key(i: u64) -> Vec<u8> {
    let mut k = format!("{i:05}").into_bytes();
    if i % 11 == 0 {
        k.resize(305, b'.');
    } else if i % 5 == 0 {
        k.resize(45, b'-');
    }
    k
}

const KEYS: u64 = 3000;

/// The operations of commit `n`, ending with the put of [`COUNTER_KEY`].
pub fn ops(n: u64) -> Vec<Op> {
    let mut rng = Rng::new(n.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut out = Vec::new();
    for i in 0..rng.between(1, 40) {
        let roll = rng.below(100);
        if roll < 55 {
            let len = match rng.below(10) {
                0..=3 => rng.below(20),
                4..=6 => rng.between(20, 300),
                7 | 8 => rng.between(300, 1500),
                _ => rng.between(1500, 20_000),
            };
            let value = (0..len).map(|j| (n * 31 + i * 7 + j) as u8).collect();
            out.push(Op::Put(key(rng.below(KEYS)), value));
        } else if roll < 90 {
            out.push(Op::Del(key(rng.below(KEYS))));
        } else {
            let start = rng.below(KEYS);
            for k in start..(start + 60).min(KEYS) {
                out.push(Op::Del(key(k)));
            }
        }
    }
    out.push(Op::Put(COUNTER_KEY.to_vec(), n.to_string().into_bytes()));
    out
}

/// Applies `ops` to a model of the file.
pub fn apply(model: &mut BTreeMap<Vec<u8>, Vec<u8>>, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Put(k, v) => {
                model.insert(k.clone(), v.clone());
            }
            Op::Del(k) => {
                model.remove(k);
            }
        }
    }
}
