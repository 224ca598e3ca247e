//! Base64 by hand, for size: the standard alphabet, encoded with padding (Oktell's Basic auth) and
//! decoded without it (`oktell::inbound::lenient_base64`, which removes `=` and line breaks first).
//! Instead of the base64 crate, which costs 10.8 KB of wasm (see ARCHITECTURE.md, "The design's
//! packages, decided by measurement"). Decoding matches the crate's `GeneralPurpose` engine with
//! `RequireNone` padding and trailing bits allowed byte for byte, errors included: the error texts
//! are its `DecodeError` texts, which reach webhook answers (the tests compare against the crate, a
//! dev-dependency).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for k in 0..4 {
            out.push(if k <= c.len() {
                char::from(ALPHABET[(n >> (18 - 6 * k) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

/// A symbol's six bits.
fn sextet(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes base64 with no padding (`=` is not a symbol here), ignoring the unused bits of the last
/// symbol. The errors are the base64 crate's texts, found in the same order: a last lone symbol that
/// is not base64, then the first symbol that is not, then a length of 4n+1.
pub fn decode_unpadded(input: &[u8]) -> Result<Vec<u8>, String> {
    let invalid = |i: usize| format!("Invalid symbol {}, offset {i}.", input[i]);
    let n = input.len();
    if n % 4 == 1 && sextet(input[n - 1]).is_none() {
        return Err(invalid(n - 1));
    }
    let mut out = Vec::with_capacity(n / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0);
    for (i, &b) in input.iter().enumerate() {
        acc = acc << 6 | sextet(b).ok_or_else(|| invalid(i))?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if n % 4 == 1 {
        return Err(format!("Invalid input length: {n}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;

    use crate::sha::tests::Rng;

    /// The crate's engine as the decoder was configured before.
    fn reference(input: &[u8]) -> Result<Vec<u8>, String> {
        GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            GeneralPurposeConfig::new()
                .with_decode_padding_mode(DecodePaddingMode::RequireNone)
                .with_decode_allow_trailing_bits(true),
        )
        .decode(input)
        .map_err(|e| e.to_string())
    }

    #[test]
    fn encode_matches_the_crate() {
        let mut checked = 0;
        for a in 0..=255u8 {
            assert_eq!(super::encode(&[a]), STANDARD.encode([a]));
            for b in 0..=255u8 {
                assert_eq!(super::encode(&[a, b]), STANDARD.encode([a, b]));
                checked += 2;
            }
        }
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        for len in 0..=300usize {
            for _ in 0..20 {
                let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                assert_eq!(super::encode(&data), STANDARD.encode(&data), "{data:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 256 * 256 * 2 + 301 * 20);
    }

    #[test]
    fn decode_matches_the_crate_on_random_input_without_padding() {
        let symbols: Vec<u8> = (0..=255u8).filter(|&b| b != b'=').collect();
        let mut rng = Rng(0xdead_beef_cafe_f00d);
        for round in 0..20_000 {
            let len = rng.next() as usize % 140;
            // Mostly base64 symbols, with a few of any other byte (up to ~3 per string).
            let input: Vec<u8> = (0..len)
                .map(|_| match rng.next() % (len as u64 * 2 / 3 + 4) {
                    0 => symbols[rng.next() as usize % symbols.len()],
                    _ => super::ALPHABET[rng.next() as usize % 64],
                })
                .collect();
            assert_eq!(
                super::decode_unpadded(&input),
                reference(&input),
                "round {round}: {input:?}"
            );
        }
    }
}
