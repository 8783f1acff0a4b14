//! The data every engine gets, the same for all three: random 16-byte keys and 100-byte
//! values from a fixed seed, the order of the point reads, and the keys of the
//! single-insert commits. Made once, before anything is timed.

/// Bytes in a key and in a value (issue 23: 16-byte keys, 100-byte values).
pub const KEY_LEN: usize = 16;
pub const VALUE_LEN: usize = 100;

/// splitmix64: small, fast, and the same sequence on every machine, so every run (and
/// every engine) sees the same keys.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// A number below `n` (the modulo bias is immaterial for n far below 2^64).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// What the workloads use, in memory.
pub struct Data {
    /// The keys of the batched inserts, in insertion order (random, so random in key order).
    pub keys: Vec<[u8; KEY_LEN]>,
    /// `values[i]` goes with `keys[i]`.
    pub values: Vec<[u8; VALUE_LEN]>,
    /// Indices into `keys`: the point reads, drawn at random (with repeats).
    pub reads: Vec<usize>,
    /// Keys of the single-insert commits (new keys, not among `keys`).
    pub single: Vec<[u8; KEY_LEN]>,
}

impl Data {
    /// `inserts` keys and values, as many reads, `commits` single-insert keys.
    pub fn new(inserts: usize, commits: usize) -> Data {
        let mut rng = Rng::new(23);
        let key = |rng: &mut Rng| {
            let mut k = [0u8; KEY_LEN];
            rng.fill(&mut k);
            k
        };
        let keys: Vec<_> = (0..inserts).map(|_| key(&mut rng)).collect();
        let values = (0..inserts)
            .map(|_| {
                let mut v = [0u8; VALUE_LEN];
                rng.fill(&mut v);
                v
            })
            .collect();
        let reads = (0..inserts).map(|_| rng.below(inserts)).collect();
        let single = (0..commits).map(|_| key(&mut rng)).collect();
        Data {
            keys,
            values,
            reads,
            single,
        }
    }
}
