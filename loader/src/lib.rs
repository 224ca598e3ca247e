//! Unpacks the elma365-voip core inside the module script: [`start`] and then [`step`], called again
//! and again, decode the core, packed as a raw LZMA stream (decoded from base93 by `stage0.wat`), into
//! the core's wasm bytes. The build checks that the result equals the core byte for byte.
//!
//! A small LZMA decoder after Igor Pavlov's reference decoder (`LzmaSpec.cpp`, public domain): a range
//! coder, adaptive bit models, literal, match and repeat-match coding. The stream's properties are
//! fixed by the build ([`LC`], `lp = 0`, `pb = 0`: a wasm has no useful alignment), the output's
//! size is known, and the whole output is the dictionary, so the decoder needs no allocator. LZMA
//! packs the core 14% smaller than Zopfli's DEFLATE (ARCHITECTURE.md, "Loading the core"). Its
//! input is the build's own output, checked at build time; damaged input still ends in -1 (or in
//! wrong bytes), never out of bounds: every read and write is checked or bounded by construction.
//!
//! Written for speed at a small size (ARCHITECTURE.md, "Loading the core"): the range coder's bit is
//! inlined everywhere, so that its state lives in wasm locals (a call per bit kept it in memory and
//! cost ~40% of the time), and each shape of bit decoding has one site only (both length coders, both
//! reverse trees, the repeat-distance bits, literals with and without a match byte), ~70 bytes of wasm
//! each. Decoding in parts ([`step`]) lets V8 run its optimised code for the later parts: a wasm call
//! keeps the code it started in until it returns.
#![no_std]

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Literal context bits (`lc`); `lp` and `pb` are 0.
pub const LC: u32 = 3;

/// A probability's starting value: one half, in 11 bits.
const HALF: u16 = 1024;

/// The range decoder over the packed bytes. Reading past their end gives zeros: [`step`] then
/// reports the stream as damaged.
struct Range<'a> {
    data: &'a [u8],
    at: usize,
    range: u32,
    code: u32,
}

impl Range<'_> {
    /// One bit under the adaptive probability `p`, which it updates. Inlined everywhere, so that
    /// the coder's state stays in wasm locals rather than in memory.
    #[inline(always)]
    fn bit(&mut self, p: &mut u16) -> usize {
        let v = u32::from(*p);
        let bound = (self.range >> 11) * v;
        let bit = if self.code < bound {
            self.range = bound;
            *p = (v + ((2048 - v) >> 5)) as u16;
            0
        } else {
            self.range -= bound;
            self.code -= bound;
            *p = (v - (v >> 5)) as u16;
            1
        };
        self.normalize();
        bit
    }

    #[inline(always)]
    fn normalize(&mut self) {
        if self.range < 1 << 24 {
            self.range <<= 8;
            self.code = (self.code << 8) | u32::from(self.data.get(self.at).copied().unwrap_or(0));
            self.at += 1;
        }
    }

    /// `n` bits at probability one half, most significant first.
    #[inline(always)]
    fn direct(&mut self, n: u32) -> usize {
        let mut v = 0;
        for _ in 0..n {
            self.range >>= 1;
            let bit = usize::from(self.code >= self.range);
            if bit == 1 {
                self.code -= self.range;
            }
            v = (v << 1) | bit;
            self.normalize();
        }
        v
    }

    /// `n` bits through the bit tree `probs` (at least `1 << n` of them), most significant first.
    #[inline(always)]
    fn tree(&mut self, probs: &mut [u16], n: u32) -> usize {
        let mut m = 1usize;
        for _ in 0..n {
            m = (m << 1) | self.bit(&mut probs[m]);
        }
        m - (1 << n)
    }

    /// `n` bits through the bit tree `probs`, least significant first.
    #[inline(always)]
    fn reverse(&mut self, probs: &mut [u16], n: u32) -> usize {
        let mut m = 1usize;
        let mut v = 0;
        for i in 0..n {
            let bit = self.bit(&mut probs[m]);
            m = (m << 1) | bit;
            v |= bit << i;
        }
        v
    }
}

/// A match length's coder (one position state, since `pb` is 0).
#[repr(C)]
struct Len {
    choice: u16,
    choice2: u16,
    low: [u16; 8],
    mid: [u16; 8],
    high: [u16; 256],
}

impl Len {
    const ZERO: Len = Len {
        choice: 0,
        choice2: 0,
        low: [0; 8],
        mid: [0; 8],
        high: [0; 256],
    };

    /// A length, less the minimum of 2: one bit tree, chosen by one or two bits.
    #[inline(always)]
    fn decode(&mut self, rc: &mut Range) -> usize {
        let (probs, n, base): (&mut [u16], u32, usize) = if rc.bit(&mut self.choice) == 0 {
            (&mut self.low, 3, 0)
        } else if rc.bit(&mut self.choice2) == 0 {
            (&mut self.mid, 3, 8)
        } else {
            (&mut self.high, 8, 16)
        };
        base + rc.tree(probs, n)
    }
}

/// Every adaptive probability of the stream: `u16`s only, so that it can be filled as one slice.
#[repr(C)]
struct Model {
    literal: [[u16; 0x300]; 1 << LC],
    is_match: [u16; 12],
    is_rep: [u16; 12],
    is_rep012: [u16; 36],
    is_rep0_long: [u16; 12],
    slot: [[u16; 64]; 4],
    special: [u16; 115],
    align: [u16; 16],
    len: Len,
    rep_len: Len,
}

/// Where decoding stands between calls of [`step`].
struct Cursor {
    at: usize,
    range: u32,
    code: u32,
    state: usize,
    rep: [usize; 4],
    pos: usize,
}

/// Decodes the raw LZMA `data` into `out` from `c.pos` on, until at least `limit` bytes of `out` are
/// written (a match may write past it) or `out` is full; `None` when the data is damaged or ends early.
fn decode(data: &[u8], out: &mut [u8], m: &mut Model, c: &mut Cursor, limit: usize) -> Option<()> {
    let mut rc = Range {
        data,
        at: c.at,
        range: c.range,
        code: c.code,
    };
    let (mut state, mut rep, mut pos) = (c.state, c.rep, c.pos);
    let limit = limit.min(out.len());
    while pos < limit {
        if rc.bit(&mut m.is_match[state]) == 0 {
            let prev = if pos > 0 { out[pos - 1] } else { 0 };
            let probs = &mut m.literal[usize::from(prev) >> (8 - LC)];
            // After a match, the byte at the match distance steers the bits while they agree
            // (LzmaDec.c's `offs`: 0x100 while they do, then 0); a plain literal starts at 0.
            let (mut matched, mut offs) = (0, 0);
            if state >= 7 {
                matched = usize::from(*out.get(pos.checked_sub(rep[0] + 1)?)?);
                offs = 0x100;
            }
            let mut sym = 1usize;
            while sym < 0x100 {
                matched <<= 1;
                let mbit = matched & offs;
                let bit = rc.bit(&mut probs[offs + mbit + sym]);
                sym = (sym << 1) | bit;
                offs &= if bit == 0 { !mbit } else { mbit };
            }
            out[pos] = sym as u8;
            pos += 1;
            state = if state < 4 {
                0
            } else if state < 10 {
                state - 3
            } else {
                state - 6
            };
            continue;
        }
        // A match: at a distance already used (`rep`), or at a new one, after its length.
        let is_rep = rc.bit(&mut m.is_rep[state]) == 1;
        if is_rep {
            // Which of the four last distances: one bit each of is_rep0, is_rep1 and is_rep2 (three
            // rows of 12, one after another) until a 0 (one bit site, not three).
            let mut which = 0;
            while which < 3 && rc.bit(&mut m.is_rep012[which * 12 + state]) == 1 {
                which += 1;
            }
            if which == 0 {
                if rc.bit(&mut m.is_rep0_long[state]) == 0 {
                    // A single byte from the last distance.
                    state = if state < 7 { 9 } else { 11 };
                    out[pos] = *out.get(pos.checked_sub(rep[0] + 1)?)?;
                    pos += 1;
                    continue;
                }
            } else {
                let d = rep[which];
                let mut i = which;
                while i > 0 {
                    rep[i] = rep[i - 1];
                    i -= 1;
                }
                rep[0] = d;
            }
        }
        // One call site for both length coders, one for both reverse bit trees: each inlined site of
        // the coder's bit costs ~70 bytes of wasm.
        let len = if is_rep { &mut m.rep_len } else { &mut m.len }.decode(&mut rc);
        if is_rep {
            state = if state < 7 { 8 } else { 11 };
        } else {
            rep[3] = rep[2];
            rep[2] = rep[1];
            rep[1] = rep[0];
            state = if state < 7 { 7 } else { 10 };
            let slot = rc.tree(&mut m.slot[len.min(3)], 6);
            let dist = if slot < 4 {
                slot
            } else {
                let n = (slot >> 1) as u32 - 1;
                let mut dist = (2 | (slot & 1)) << n;
                let (probs, bits): (&mut [u16], u32) = if slot < 14 {
                    (&mut m.special[dist - slot..], n)
                } else {
                    dist += rc.direct(n - 4) << 4;
                    (&mut m.align, 4)
                };
                dist + rc.reverse(probs, bits)
            };
            if dist == u32::MAX as usize {
                // The end marker.
                return None;
            }
            rep[0] = dist;
        }
        let from = pos.checked_sub(rep[0] + 1)?;
        if len + 2 > out.len() - pos {
            return None;
        }
        for i in 0..len + 2 {
            out[pos] = out[from + i];
            pos += 1;
        }
    }
    if rc.at > data.len() {
        // The stream ended early.
        return None;
    }
    *c = Cursor {
        at: rc.at,
        range: rc.range,
        code: rc.code,
        state,
        rep,
        pos,
    };
    Some(())
}

/// The model, in static memory (13 KB: too much for the stack of a tiny module), zeroed so that it
/// takes no bytes in the wasm; [`unpack`] sets every probability to one half before decoding.
static mut MODEL: Model = Model {
    literal: [[0; 0x300]; 1 << LC],
    is_match: [0; 12],
    is_rep: [0; 12],
    is_rep012: [0; 36],
    is_rep0_long: [0; 12],
    slot: [[0; 64]; 4],
    special: [0; 115],
    align: [0; 16],
    len: Len::ZERO,
    rep_len: Len::ZERO,
};

/// The stream and the output of [`start`], and where [`step`] stands.
static mut INPUT: (*const u8, usize) = (core::ptr::null(), 0);
static mut OUTPUT: (*mut u8, usize) = (core::ptr::null_mut(), 0);
static mut CURSOR: Cursor = Cursor {
    at: 0,
    range: 0,
    code: 0,
    state: 0,
    rep: [0; 4],
    pos: 0,
};

/// Starts decoding the `len` bytes of raw LZMA at `src` into exactly the `cap` bytes at `dst`: returns 0,
/// or -1 if the stream does not start like one. Then [`step`] decodes it, a part at a time.
///
/// # Safety
/// `src..src+len` and `dst..dst+cap` must be valid, disjoint regions of this module's memory, apart
/// from its statics, until decoding ends.
#[no_mangle]
pub unsafe extern "C" fn start(src: *const u8, len: usize, dst: *mut u8, cap: usize) -> isize {
    let model = core::ptr::addr_of_mut!(MODEL);
    let size = core::mem::size_of::<Model>() / 2;
    core::slice::from_raw_parts_mut(model.cast::<u16>(), size).fill(HALF);
    INPUT = (src, len);
    OUTPUT = (dst, cap);
    let data = core::slice::from_raw_parts(src, len);
    if len < 5 || data[0] != 0 {
        return -1;
    }
    CURSOR = Cursor {
        at: 5,
        range: u32::MAX,
        code: u32::from_be_bytes([data[1], data[2], data[3], data[4]]),
        state: 0,
        rep: [0; 4],
        pos: 0,
    };
    0
}

/// Decodes on until at least `limit` bytes of the output are written, or all of it: returns how many
/// are, or -1 if the stream is damaged. Called again and again (by the module script) rather than once,
/// so that V8 can switch to its optimised code for it between calls.
///
/// # Safety
/// After [`start`], with its regions still valid.
#[no_mangle]
pub unsafe extern "C" fn step(limit: usize) -> isize {
    let (src, len) = INPUT;
    let (dst, cap) = OUTPUT;
    let cursor = &mut *core::ptr::addr_of_mut!(CURSOR);
    let done = decode(
        core::slice::from_raw_parts(src, len),
        core::slice::from_raw_parts_mut(dst, cap),
        &mut *core::ptr::addr_of_mut!(MODEL),
        cursor,
        limit,
    );
    done.map_or(-1, |()| cursor.pos as isize)
}
