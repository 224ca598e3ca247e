//! SHA-256 (FIPS 180-4) with rolled loops: the Rostelecom signature (`X-Client-Sign`), call-store
//! key digests and event ids. Instead of the sha2 crate, whose unrolled rounds cost 4.8 KB of wasm
//! (see ARCHITECTURE.md, "The design's packages, decided by measurement"); the tests check it
//! against sha2 (a dev-dependency) and the NIST vectors. Inputs are public or compared as digests
//! (in constant time, by the caller), and the code has no data-dependent branches or indexing.

/// The round constants.
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 of the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut block = [0u8; 64];
    let mut n = 0;
    // Whole slices into the block, a compression each time it fills: byte by byte through a
    // closure, with the variables rotated as an array, cost 37% more instructions (see
    // ARCHITECTURE.md, "The warm webhook").
    let mut feed = |mut data: &[u8], block: &mut [u8; 64], n: &mut usize| {
        while !data.is_empty() {
            let take = (64 - *n).min(data.len());
            block[*n..*n + take].copy_from_slice(&data[..take]);
            *n += take;
            data = &data[take..];
            if *n == 64 {
                compress(&mut h, block);
                *n = 0;
            }
        }
    };
    for p in parts {
        feed(p, &mut block, &mut n);
    }
    let pad = if n < 56 { 56 - n } else { 120 - n };
    let mut tail = [0u8; 72];
    tail[0] = 0x80;
    tail[pad..pad + 8].copy_from_slice(&((len as u64) * 8).to_be_bytes());
    feed(&tail[..pad + 8], &mut block, &mut n);
    let mut out = [0u8; 32];
    for (i, w) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// One 64-byte block into the state. Indexed loops and the working variables as locals (rotating
/// an array of them each round moved 32 bytes a round).
#[allow(clippy::needless_range_loop, clippy::many_single_char_names)]
fn compress(h: &mut [u32; 8], block: &[u8; 64]) {
    let mut w = [0u32; 64];
    for i in 0..64 {
        w[i] = if i < 16 {
            u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ])
        } else {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1)
        };
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = *h;
    for i in 0..64 {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = hh
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(K[i])
            .wrapping_add(w[i]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        hh = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(s0.wrapping_add(maj));
    }
    for (x, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
        *x = x.wrapping_add(v);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::sha256;
    use sha2::{Digest, Sha256};

    fn hex(d: [u8; 32]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A deterministic xorshift64* stream (no rand crate), for the differential tests of this
    /// layer's hand-written codecs (here and in `b64`).
    pub(crate) struct Rng(pub(crate) u64);
    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    #[test]
    fn nist_vectors() {
        let cases: [(&[u8], &str); 4] = [
            (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
            (
                b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(
                hex(sha256(&[msg])),
                want,
                "{}",
                String::from_utf8_lossy(msg)
            );
        }
        let million = vec![b'a'; 1_000_000];
        assert_eq!(
            hex(sha256(&[&million])),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn matches_sha2_for_every_length_to_300_and_any_split() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut checked = 0;
        for len in 0..=300usize {
            for round in 0..8 {
                let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let want: [u8; 32] = Sha256::digest(&data).into();
                // Whole, and split into three parts at random points (as sign() feeds it).
                let a = if len == 0 {
                    0
                } else {
                    rng.next() as usize % (len + 1)
                };
                let b = a + if len == a {
                    0
                } else {
                    rng.next() as usize % (len - a + 1)
                };
                assert_eq!(sha256(&[&data]), want, "len {len} round {round}");
                assert_eq!(
                    sha256(&[&data[..a], &data[a..b], &data[b..]]),
                    want,
                    "len {len} split {a} {b}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 301 * 8);
    }
}
