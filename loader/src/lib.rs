//! Unpacks the elma365-voip core inside the module script: [`start`] and then [`step`], called again
//! and again, decode the core, packed as one Zstandard frame (decoded from base93 by `stage0.wat`),
//! into the core's wasm bytes. The build checks that the result equals the core byte for byte.
//!
//! A small decoder of the Zstandard format (RFC 8878): the frame header, raw, RLE and compressed
//! blocks, Huffman-coded literals (one or four streams, their table described directly or by FSE),
//! FSE-coded sequences (predefined, RLE, described and repeated tables), repeat offsets, and the
//! frame's XXH64 checksum, which the decoder requires, so that damaged input is found rather than
//! decoded into wrong bytes. No dictionaries and no skippable frames: the build writes one frame
//! with the content size and a checksum. The output's size is known, so the decoder needs no
//! allocator: its state is one static ([`Dec`], ~144 KB of zeroes that take no bytes in the wasm).
//! Its input is the build's own output, checked at build time; damaged input still ends in -1,
//! never out of bounds: every read and write is checked or bounded by construction (the tests feed
//! it every truncation and thousands of corruptions of real frames).
//!
//! Zstandard instead of LZMA (ARCHITECTURE.md, "Loading the core"): it packs the core ~9% larger,
//! but decodes it in a fraction of the time, since it codes whole symbols from tables where LZMA
//! decodes every bit through an adaptive model. Decoding in parts ([`step`], a block a call) lets
//! V8 run its optimised code for the later parts: a wasm call keeps the code it started in until
//! it returns.
#![no_std]

#[cfg(test)]
extern crate std;

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The largest block's content, and so the largest literals section.
const BLOCK: usize = 1 << 17;

/// Eight bytes of `d` from `at`, little-endian, zeros past the end.
#[inline(always)]
fn load(d: &[u8], at: usize) -> u64 {
    match d.get(at..at + 8) {
        Some(&[a, b, c, e, f, g, h, i]) => u64::from_le_bytes([a, b, c, e, f, g, h, i]),
        _ => load_tail(d, at),
    }
}

/// [`load`] near the end of `d` (out of line: it is rare, and `load` is inlined everywhere).
#[inline(never)]
fn load_tail(d: &[u8], at: usize) -> u64 {
    let mut v = 0;
    for &b in d.get(at..).unwrap_or(&[]).iter().rev() {
        v = (v << 8) | u64::from(b);
    }
    v
}

#[inline(always)]
fn mask(n: u32) -> u64 {
    (1u64 << n) - 1
}

/// A bit stream read forwards, least significant bit first (FSE table descriptions).
struct Fwd<'a> {
    d: &'a [u8],
    bit: usize,
}

impl Fwd<'_> {
    /// The next `n` (≤ 24) bits, not consumed.
    fn peek(&self, n: u32) -> u32 {
        ((load(self.d, self.bit >> 3) >> (self.bit & 7)) & mask(n)) as u32
    }
    fn read(&mut self, n: u32) -> u32 {
        let v = self.peek(n);
        self.bit += n as usize;
        v
    }
}

/// A bit stream read backwards from its end marker (Huffman streams, FSE streams): `pos` bits are
/// left. Reading past its start gives zeros and makes `pos` negative, which the callers check.
struct Back<'a> {
    d: &'a [u8],
    pos: isize,
}

impl<'a> Back<'a> {
    /// The stream in `d`: its last byte holds the end marker, a 1 above the first bit.
    fn new(d: &'a [u8]) -> Option<Self> {
        let last = *d.last()?;
        if last == 0 {
            return None;
        }
        let pos = d.len() as isize * 8 - 1 - last.leading_zeros() as isize;
        Some(Back { d, pos })
    }
    /// The `n` (≤ 56) bits below `pos`, not consumed.
    #[inline(always)]
    fn peek(&self, n: u32) -> u64 {
        let lo = self.pos - n as isize;
        if lo >= 0 {
            (load(self.d, (lo >> 3) as usize) >> (lo & 7)) & mask(n)
        } else if self.pos <= 0 {
            0
        } else {
            (load(self.d, 0) & mask(self.pos as u32)) << -lo
        }
    }
    #[inline(always)]
    fn skip(&mut self, n: u32) {
        self.pos -= n as isize;
    }
    #[inline(always)]
    fn read(&mut self, n: u32) -> u64 {
        let v = self.peek(n);
        self.skip(n);
        v
    }
    /// [`Back::read`] out of line, for the reads outside the hot loops.
    #[inline(never)]
    fn read_cold(&mut self, n: u32) -> u64 {
        self.read(n)
    }
}

/// An FSE decoding table of up to 2^9 states: each state's symbol, and how to find the next state
/// (`base` plus `bits` more bits).
struct Fse {
    sym: [u8; 512],
    bits: [u8; 512],
    base: [u16; 512],
    log: u32,
}

impl Fse {
    const ZERO: Fse = Fse {
        sym: [0; 512],
        bits: [0; 512],
        base: [0; 512],
        log: 0,
    };

    /// The table of the normalised counts `norm` (-1: "less than one") at accuracy `log`.
    #[inline(never)]
    fn build(&mut self, norm: &[i16], log: u32) -> Option<()> {
        let size = 1usize << log;
        if size > 512 || norm.len() > 256 {
            return None;
        }
        let mut next = [0u16; 256];
        let mut high = size;
        for (s, &p) in norm.iter().enumerate() {
            if p == -1 {
                high = high.checked_sub(1)?;
                self.sym[high] = s as u8;
                next[s] = 1;
            }
        }
        let step = (size >> 1) + (size >> 3) + 3;
        let mut pos = 0;
        for (s, &p) in norm.iter().enumerate() {
            if p <= 0 {
                continue;
            }
            next[s] = p as u16;
            for _ in 0..p {
                self.sym[pos] = s as u8;
                loop {
                    pos = (pos + step) & (size - 1);
                    if pos < high {
                        break;
                    }
                }
            }
        }
        if pos != 0 {
            return None;
        }
        for i in 0..size {
            let s = usize::from(self.sym[i]);
            let x = u32::from(next[s]);
            next[s] = next[s].wrapping_add(1);
            let top = 31 - x.leading_zeros();
            if x == 0 || top > log {
                return None;
            }
            let n = log - top;
            self.bits[i] = n as u8;
            self.base[i] = ((x << n) - size as u32) as u16;
        }
        self.log = log;
        Some(())
    }

    /// The state after `state`: its base plus as many bits from `br` as it says.
    #[inline(always)]
    fn next(&self, state: usize, br: &mut Back) -> usize {
        let s = state & 511;
        usize::from(self.base[s]) + br.read(u32::from(self.bits[s])) as usize
    }

    /// A table of one symbol (RLE mode).
    fn one(&mut self, s: u8) {
        self.sym[0] = s;
        self.bits[0] = 0;
        self.base[0] = 0;
        self.log = 0;
    }

    /// Reads a table's description (normalised counts) from the start of `d`, of at most `max_log`
    /// and `max_symbols`, and builds it: returns the bytes the description took.
    #[inline(never)]
    fn read(&mut self, d: &[u8], max_log: u32, max_symbols: usize) -> Option<usize> {
        let mut r = Fwd { d, bit: 0 };
        let log = r.read(4) + 5;
        if log > max_log {
            return None;
        }
        let mut norm = [0i16; 256];
        let mut remaining = 1i32 << log;
        let mut s = 0;
        while remaining > 0 {
            if s >= max_symbols {
                return None;
            }
            let bits = 32 - ((remaining + 1) as u32).leading_zeros();
            let lower = (1u32 << (bits - 1)) - 1;
            let threshold = (1u32 << bits) - 1 - (remaining as u32 + 1);
            let mut v = r.peek(bits);
            if v & lower < threshold {
                v &= lower;
                r.bit += bits as usize - 1;
            } else {
                if v > lower {
                    v -= threshold;
                }
                r.bit += bits as usize;
            }
            let p = v as i32 - 1;
            remaining -= p.abs();
            norm[s] = p as i16;
            s += 1;
            if p == 0 {
                loop {
                    let repeat = r.read(2);
                    s += repeat as usize;
                    if s > max_symbols {
                        return None;
                    }
                    if repeat != 3 {
                        break;
                    }
                }
            }
        }
        let used = (r.bit + 7) >> 3;
        if remaining != 0 || used > d.len() {
            return None;
        }
        self.build(&norm[..s], log)?;
        Some(used)
    }
}

/// A Huffman decoding table of up to 2^11 entries: the symbol in the low byte, its length above.
struct Huf {
    table: [u16; 2048],
    bits: u32,
}

impl Huf {
    /// Reads the table's description at the start of `d` (weights, direct or FSE-compressed) and
    /// builds it: returns the bytes the description took. `fse` is scratch for the weights' table.
    #[inline(never)]
    fn read(&mut self, d: &[u8], fse: &mut Fse) -> Option<usize> {
        let header = usize::from(*d.first()?);
        let mut w = [0u8; 256];
        let (n, used) = if header >= 128 {
            let n = header - 127;
            let used = 1 + n.div_ceil(2);
            let b = d.get(1..used)?;
            for (i, x) in w.iter_mut().take(n).enumerate() {
                *x = (b[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 15;
            }
            (n, used)
        } else {
            let used = 1 + header;
            let b = d.get(1..used)?;
            let taken = fse.read(b, 6, 12)?;
            let mut br = Back::new(b.get(taken..)?)?;
            // Two states take turns; when the stream runs out, the other one's symbol is the last.
            let mut state = [
                br.read_cold(fse.log) as usize,
                br.read_cold(fse.log) as usize,
            ];
            let mut n = 0;
            let mut k = 0;
            loop {
                if n + 2 > 255 {
                    return None;
                }
                let s = state[k] & 511;
                w[n] = fse.sym[s];
                n += 1;
                state[k] = usize::from(fse.base[s]) + br.read_cold(u32::from(fse.bits[s])) as usize;
                k ^= 1;
                if br.pos < 0 {
                    w[n] = fse.sym[state[k] & 511];
                    n += 1;
                    break;
                }
            }
            (n, used)
        };
        // The last symbol's weight is implied: it completes the sum to a power of two.
        let mut sum = 0u32;
        for &x in &w[..n] {
            if x > 11 {
                return None;
            }
            if x > 0 {
                sum += 1 << (x - 1);
            }
        }
        if sum == 0 {
            return None;
        }
        let bits = 32 - sum.leading_zeros();
        let left = (1u32 << bits) - sum;
        if bits > 11 || !left.is_power_of_two() {
            return None;
        }
        w[n] = (32 - left.leading_zeros()) as u8;
        // Codes by length, longest first, each length's symbols in order.
        let mut count = [0u32; 13];
        for &x in &w[..=n] {
            count[usize::from(x)] += 1;
        }
        let mut start = [0u32; 13];
        let mut at = 0;
        for x in 1..=bits as usize {
            start[x] = at;
            at += count[x] << (x - 1);
        }
        if at != 1 << bits {
            return None;
        }
        for (s, &x) in w[..=n].iter().enumerate() {
            if x == 0 {
                continue;
            }
            let len = 1u32 << (x - 1);
            let from = start[usize::from(x)];
            let entry = s as u16 | ((bits + 1 - u32::from(x)) as u16) << 8;
            self.table[from as usize..(from + len) as usize].fill(entry);
            start[usize::from(x)] += len;
        }
        self.bits = bits;
        Some(used)
    }

    /// Decodes the stream `d` into exactly `out`.
    #[inline(never)]
    fn decode(&self, d: &[u8], out: &mut [u8]) -> Option<()> {
        let mut br = Back::new(d)?;
        for o in out.iter_mut() {
            let e = self.table[br.peek(self.bits) as usize & 2047];
            *o = e as u8;
            br.skip(u32::from(e >> 8));
        }
        (br.pos == 0).then_some(())
    }
}

/// The extra bits of each literal-length code and of each match-length code (RFC 8878, 3.1.1.3.2.1):
/// a code's baseline is the previous one's plus 2^(its extra bits), from 0 and from 3 ([`Dec::start`]
/// computes them).
const LL_BITS: [u8; 36] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11,
    12, 13, 14, 15, 16,
];
const ML_BITS: [u8; 53] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
];
/// The predefined distributions (RFC 8878, 3.1.1.3.2.2).
const LL_DEFAULT: [i8; 36] = [
    4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
    -1, -1, -1, -1,
];
const ML_DEFAULT: [i8; 53] = [
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
];
const OF_DEFAULT: [i8; 29] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
];

/// The decoder's whole state, kept between [`step`]s: where it stands, the tables a later block
/// may repeat, and the current block's literals.
pub struct Dec {
    at: usize,
    pos: usize,
    done: bool,
    rep: [usize; 3],
    huf_ready: bool,
    ready: [bool; 3],
    huf: Huf,
    fse: [Fse; 3],
    weights: Fse,
    /// Each literal-length code's and match-length code's (baseline, extra bits).
    ll: [(u32, u32); 36],
    ml: [(u32, u32); 53],
    lit: [u8; BLOCK],
}

impl Dec {
    pub const ZERO: Dec = Dec {
        at: 0,
        pos: 0,
        done: false,
        rep: [0; 3],
        huf_ready: false,
        ready: [false; 3],
        huf: Huf {
            table: [0; 2048],
            bits: 0,
        },
        fse: [Fse::ZERO, Fse::ZERO, Fse::ZERO],
        weights: Fse::ZERO,
        ll: [(0, 0); 36],
        ml: [(0, 0); 53],
        lit: [0; BLOCK],
    };

    /// Reads the frame's header from `src`, which must have a checksum and, if it announces its
    /// content's size, announce exactly `size` bytes: the blocks follow.
    pub fn start(&mut self, src: &[u8], size: usize) -> Option<()> {
        let h = src.get(..5)?;
        if h[..4] != [0x28, 0xb5, 0x2f, 0xfd] {
            return None;
        }
        let fhd = h[4];
        let single = fhd & 0x20 != 0;
        // Reserved bit clear, a checksum, no dictionary.
        if fhd & 0x08 != 0 || fhd & 0x04 == 0 || fhd & 0x03 != 0 {
            return None;
        }
        let at = 5 + usize::from(!single);
        let fcs = match fhd >> 6 {
            0 if single => 1,
            0 => 0,
            1 => 2,
            2 => 4,
            _ => 8,
        };
        let mut value = 0u64;
        for &b in src.get(at..at + fcs)?.iter().rev() {
            value = (value << 8) | u64::from(b);
        }
        if fcs == 2 {
            value += 256;
        }
        if fcs > 0 && value != size as u64 {
            return None;
        }
        self.at = at + fcs;
        self.pos = 0;
        self.done = false;
        self.rep = [1, 4, 8];
        self.huf_ready = false;
        self.ready = [false; 3];
        for (table, bits, mut base) in [
            (&mut self.ll[..], &LL_BITS[..], 0),
            (&mut self.ml[..], &ML_BITS[..], 3),
        ] {
            for (code, &n) in table.iter_mut().zip(bits) {
                *code = (base, u32::from(n));
                base += 1 << n;
            }
        }
        Some(())
    }

    /// Decodes blocks until at least `limit` bytes of `out` are written or the frame ends (its
    /// checksum checked): returns how many are.
    pub fn step(&mut self, src: &[u8], out: &mut [u8], limit: usize) -> Option<usize> {
        // On past the limit once the output is full: the frame's last block and checksum still follow.
        while !self.done && (self.pos < limit || self.pos == out.len()) {
            self.block(src, out)?;
        }
        if self.done {
            let sum = src.get(self.at..self.at + 4)?;
            if self.at + 4 != src.len()
                || self.pos != out.len()
                || u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]) != xxh64(out) as u32
            {
                return None;
            }
        }
        Some(self.pos)
    }

    fn block(&mut self, src: &[u8], out: &mut [u8]) -> Option<()> {
        let h = load(src.get(self.at..self.at + 3)?, 0) as usize;
        let size = h >> 3;
        self.at += 3;
        self.done = h & 1 != 0;
        if size > BLOCK {
            return None;
        }
        match (h >> 1) & 3 {
            0 => {
                let from = src.get(self.at..self.at + size)?;
                out.get_mut(self.pos..self.pos + size)?
                    .copy_from_slice(from);
                self.at += size;
                self.pos += size;
            }
            1 => {
                let b = *src.get(self.at)?;
                out.get_mut(self.pos..self.pos + size)?.fill(b);
                self.at += 1;
                self.pos += size;
            }
            2 => {
                let d = src.get(self.at..self.at + size)?;
                self.compressed(d, out)?;
                self.at += size;
            }
            _ => return None,
        }
        Some(())
    }

    #[inline(never)]
    fn compressed(&mut self, d: &[u8], out: &mut [u8]) -> Option<()> {
        let (n, mut at) = self.literals(d)?;
        // Sequences: how many, then each table's mode.
        let b0 = usize::from(*d.get(at)?);
        let count = if b0 < 128 {
            at += 1;
            b0
        } else if b0 < 255 {
            at += 2;
            ((b0 - 128) << 8) + usize::from(*d.get(at - 1)?)
        } else {
            at += 3;
            usize::from(*d.get(at - 2)?) + (usize::from(*d.get(at - 1)?) << 8) + 0x7f00
        };
        let mut lp = 0;
        if count > 0 {
            let modes = *d.get(at)?;
            at += 1;
            if modes & 3 != 0 {
                return None;
            }
            for k in 0..3 {
                at += self.table(k, (modes >> (6 - 2 * k)) & 3, d.get(at..)?)?;
            }
            let mut br = Back::new(d.get(at..)?)?;
            let lits = &self.lit[..n];
            let [ll_t, of_t, ml_t] = &self.fse;
            let mut ll = br.read_cold(ll_t.log) as usize;
            let mut of = br.read_cold(of_t.log) as usize;
            let mut ml = br.read_cold(ml_t.log) as usize;
            for i in 0..count {
                let (ll_code, of_code, ml_code) =
                    (ll_t.sym[ll & 511], of_t.sym[of & 511], ml_t.sym[ml & 511]);
                if of_code > 31 {
                    return None;
                }
                let value = (1usize << of_code) + br.read(u32::from(of_code)) as usize;
                let (base, extra) = *self.ml.get(usize::from(ml_code))?;
                let match_len = (base + br.read(extra) as u32) as usize;
                let (base, extra) = *self.ll.get(usize::from(ll_code))?;
                let lit_len = (base + br.read(extra) as u32) as usize;
                if i + 1 < count {
                    ll = ll_t.next(ll, &mut br);
                    ml = ml_t.next(ml, &mut br);
                    of = of_t.next(of, &mut br);
                }
                // Repeat offsets (RFC 8878, 3.1.1.5).
                let r = &mut self.rep;
                let offset = if value > 3 {
                    let o = value - 3;
                    *r = [o, r[0], r[1]];
                    o
                } else {
                    match value - 1 + usize::from(lit_len == 0) {
                        0 => r[0],
                        1 => {
                            *r = [r[1], r[0], r[2]];
                            r[0]
                        }
                        2 => {
                            *r = [r[2], r[0], r[1]];
                            r[0]
                        }
                        _ => {
                            *r = [r[0].checked_sub(1)?, r[0], r[1]];
                            r[0]
                        }
                    }
                };
                // Execute: the literals, then the match (which may overlap what it writes).
                let pos = self.pos;
                let to = pos.checked_add(lit_len)?;
                out.get_mut(pos..to)?
                    .copy_from_slice(lits.get(lp..lp + lit_len)?);
                lp += lit_len;
                let end = to.checked_add(match_len)?;
                if offset == 0 || offset > to || end > out.len() {
                    return None;
                }
                if offset >= match_len {
                    out.copy_within(to - offset..end - offset, to);
                } else {
                    for j in to..end {
                        out[j] = out[j - offset];
                    }
                }
                self.pos = end;
            }
            if br.pos != 0 {
                return None;
            }
        }
        let rest = self.lit[..n].get(lp..)?;
        out.get_mut(self.pos..self.pos + rest.len())?
            .copy_from_slice(rest);
        self.pos += rest.len();
        Some(())
    }

    /// Sets up the sequences' table `k` (literal lengths, offsets, match lengths) in `mode` from the
    /// description at the start of `d`: returns the bytes it took.
    #[inline(never)]
    fn table(&mut self, k: usize, mode: u8, d: &[u8]) -> Option<usize> {
        let (default, log, max_log, symbols): (&[i8], u32, u32, usize) = match k {
            0 => (&LL_DEFAULT, 6, 9, 36),
            1 => (&OF_DEFAULT, 5, 8, 32),
            _ => (&ML_DEFAULT, 6, 9, 53),
        };
        let t = &mut self.fse[k];
        let used = match mode {
            0 => {
                let mut norm = [0i16; 64];
                for (n, &p) in norm.iter_mut().zip(default) {
                    *n = i16::from(p);
                }
                t.build(&norm[..default.len()], log)?;
                0
            }
            1 => {
                t.one(*d.first()?);
                1
            }
            2 => t.read(d, max_log, symbols)?,
            _ if self.ready[k] => 0,
            _ => return None,
        };
        self.ready[k] = true;
        Some(used)
    }

    /// Decodes the block's literals section at the start of `d` into `self.lit`: returns how many
    /// literals there are and where the sequences section starts.
    #[inline(never)]
    fn literals(&mut self, d: &[u8]) -> Option<(usize, usize)> {
        let b = load(d, 0);
        let kind = b & 3;
        let format = (b >> 2) & 3;
        if kind < 2 {
            // Raw or RLE: the size in 5, 12 or 20 bits.
            let (size, header) = match format {
                0 | 2 => ((b >> 3) & 31, 1),
                1 => ((b >> 4) & 0xfff, 2),
                _ => ((b >> 4) & 0xfffff, 3),
            };
            let size = size as usize;
            if size > BLOCK {
                return None;
            }
            return if kind == 0 {
                let l = d.get(header..header + size)?;
                self.lit[..size].copy_from_slice(l);
                Some((size, header + size))
            } else {
                let v = *d.get(header)?;
                self.lit[..size].fill(v);
                Some((size, header + 1))
            };
        }
        // Compressed (with a table) or treeless (the last block's table): sizes in 10, 14 or 18 bits.
        let (bits, header, streams) = match format {
            0 => (10, 3, 1),
            1 => (10, 3, 4),
            2 => (14, 4, 4),
            _ => (18, 5, 4),
        };
        let size = ((b >> 4) & mask(bits)) as usize;
        let packed = ((b >> (4 + bits)) & mask(bits)) as usize;
        if d.len() < header + packed || size > BLOCK {
            return None;
        }
        let mut p = &d[header..header + packed];
        if kind == 2 {
            let used = self.huf.read(p, &mut self.weights)?;
            p = &p[used..];
            self.huf_ready = true;
        } else if !self.huf_ready {
            return None;
        }
        let out = &mut self.lit[..size];
        if streams == 1 {
            self.huf.decode(p, out)?;
        } else {
            let j = p.get(..6)?;
            let s1 = usize::from(u16::from_le_bytes([j[0], j[1]]));
            let s2 = usize::from(u16::from_le_bytes([j[2], j[3]]));
            let s3 = usize::from(u16::from_le_bytes([j[4], j[5]]));
            let mut rest = p.get(6..)?;
            let seg = size.div_ceil(4);
            if size < 3 * seg {
                return None;
            }
            let (o1, o) = out.split_at_mut(seg);
            let (o2, o) = o.split_at_mut(seg);
            let (o3, o4) = o.split_at_mut(seg);
            for (len, o) in [(s1, o1), (s2, o2), (s3, o3)] {
                if rest.len() < len {
                    return None;
                }
                let (s, r) = rest.split_at(len);
                self.huf.decode(s, o)?;
                rest = r;
            }
            self.huf.decode(rest, o4)?;
        }
        Some((size, header + packed))
    }
}

/// XXH64 with seed 0 (the frame's checksum is its low 32 bits).
#[inline(never)]
fn xxh64(d: &[u8]) -> u64 {
    const P1: u64 = 11400714785074694791;
    const P2: u64 = 14029467366897019727;
    const P3: u64 = 1609587929392839161;
    const P4: u64 = 9650029242287828579;
    const P5: u64 = 2870177450012600261;
    fn round(acc: u64, input: u64) -> u64 {
        acc.wrapping_add(input.wrapping_mul(P2))
            .rotate_left(31)
            .wrapping_mul(P1)
    }
    fn merge(acc: u64, v: u64) -> u64 {
        (acc ^ round(0, v)).wrapping_mul(P1).wrapping_add(P4)
    }
    let mut rest = d;
    let mut h = if d.len() >= 32 {
        let mut v = [P1.wrapping_add(P2), P2, 0, 0u64.wrapping_sub(P1)];
        while rest.len() >= 32 {
            for (k, x) in v.iter_mut().enumerate() {
                *x = round(*x, load(rest, 8 * k));
            }
            rest = &rest[32..];
        }
        let mut h = v[0]
            .rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18));
        for x in v {
            h = merge(h, x);
        }
        h
    } else {
        P5
    };
    h = h.wrapping_add(d.len() as u64);
    while rest.len() >= 8 {
        h ^= round(0, load(rest, 0));
        h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
        rest = &rest[8..];
    }
    if rest.len() >= 4 {
        h ^= (load(rest, 0) & 0xffff_ffff).wrapping_mul(P1);
        h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
        rest = &rest[4..];
    }
    for &b in rest {
        h ^= u64::from(b).wrapping_mul(P5);
        h = h.rotate_left(11).wrapping_mul(P1);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

/// The decoder (~144 KB, zeroed: no bytes in the wasm), and the stream and output of [`start`].
static mut DEC: Dec = Dec::ZERO;
static mut INPUT: (*const u8, usize) = (core::ptr::null(), 0);
static mut OUTPUT: (*mut u8, usize) = (core::ptr::null_mut(), 0);

/// Starts decoding the Zstandard frame of `len` bytes at `src` into exactly the `cap` bytes at
/// `dst`: returns 0, or -1 if the frame does not start like the build's. Then [`step`] decodes it,
/// a part at a time.
///
/// # Safety
/// `src..src+len` and `dst..dst+cap` must be valid, disjoint regions of this module's memory, apart
/// from its statics, until decoding ends.
#[no_mangle]
pub unsafe extern "C" fn start(src: *const u8, len: usize, dst: *mut u8, cap: usize) -> isize {
    INPUT = (src, len);
    OUTPUT = (dst, cap);
    let dec = &mut *core::ptr::addr_of_mut!(DEC);
    match dec.start(core::slice::from_raw_parts(src, len), cap) {
        Some(()) => 0,
        None => -1,
    }
}

/// Decodes on until at least `limit` bytes of the output are written, or all of it: returns how many
/// are, or -1 if the frame is damaged (its checksum included). Called again and again (by the module
/// script) rather than once, so that V8 can switch to its optimised code for it between calls.
///
/// # Safety
/// After [`start`], with its regions still valid.
#[no_mangle]
pub unsafe extern "C" fn step(limit: usize) -> isize {
    let (src, len) = INPUT;
    let (dst, cap) = OUTPUT;
    let dec = &mut *core::ptr::addr_of_mut!(DEC);
    dec.step(
        core::slice::from_raw_parts(src, len),
        core::slice::from_raw_parts_mut(dst, cap),
        limit,
    )
    .map_or(-1, |n| n as isize)
}

#[cfg(test)]
mod tests;
