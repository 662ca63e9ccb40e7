//! The hasher of the engine's fixed lookup tables (code lists, rule
//! indexes). Keys are short ASCII codes and element names; SipHash's set-up
//! would dominate each lookup, and the tables' contents are fixed by the
//! standard, so hash flooding is not a concern.

use std::hash::{BuildHasherDefault, Hasher};

/// Word-wise multiplicative hash.
#[derive(Default)]
pub(crate) struct WordHash(u64);

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
        self.0 = h;
    }
}

/// `BuildHasher` for `HashMap`/`HashSet` of the lookup tables.
pub(crate) type FastHash = BuildHasherDefault<WordHash>;
