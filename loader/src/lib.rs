//! Unpacks the elma365-voip core inside the module script: [`unpack`] decodes the core, packed as a
//! raw LZMA stream (decoded from base93 by `stage0.wat`), into the core's wasm bytes. The build checks
//! that the result equals the core byte for byte.
//!
//! A small LZMA decoder after Igor Pavlov's reference decoder (`LzmaSpec.cpp`, public domain): a range
//! coder, adaptive bit models, literal, match and repeat-match coding. The stream's properties are
//! fixed by the build ([`LC`], `lp = 0`, `pb = 0`: a wasm has no useful alignment), the output's
//! size is known, and the whole output is the dictionary, so the decoder needs no allocator. LZMA
//! packs the core 14% smaller than Zopfli's DEFLATE (ARCHITECTURE.md, "Loading the core"). Its
//! input is the build's own output, checked at build time; damaged input still ends in -1, never out
//! of bounds: every read and write is checked.
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

/// The range decoder over the packed bytes.
struct Range<'a> {
    data: &'a [u8],
    at: usize,
    range: u32,
    code: u32,
}

impl Range<'_> {
    fn byte(&mut self) -> Option<u32> {
        let b = *self.data.get(self.at)?;
        self.at += 1;
        Some(u32::from(b))
    }

    fn normalize(&mut self) -> Option<()> {
        if self.range < 1 << 24 {
            self.range <<= 8;
            self.code = (self.code << 8) | self.byte()?;
        }
        Some(())
    }

    /// One bit under the adaptive probability `p`, which it updates.
    fn bit(&mut self, p: &mut u16) -> Option<u32> {
        let bound = (self.range >> 11) * u32::from(*p);
        let bit = if self.code < bound {
            self.range = bound;
            *p += (2048 - *p) >> 5;
            0
        } else {
            self.range -= bound;
            self.code -= bound;
            *p -= *p >> 5;
            1
        };
        self.normalize()?;
        Some(bit)
    }

    /// `n` bits at probability one half, most significant first.
    fn direct(&mut self, n: u32) -> Option<u32> {
        let mut v = 0;
        for _ in 0..n {
            self.range >>= 1;
            let bit = u32::from(self.code >= self.range);
            if bit == 1 {
                self.code -= self.range;
            }
            v = (v << 1) | bit;
            self.normalize()?;
        }
        Some(v)
    }

    /// `n` bits through the bit tree `probs` (at least `1 << n` of them), most significant first.
    fn tree(&mut self, probs: &mut [u16], n: u32) -> Option<u32> {
        let mut m = 1usize;
        for _ in 0..n {
            m = (m << 1) | self.bit(probs.get_mut(m)?)? as usize;
        }
        Some(m as u32 - (1 << n))
    }

    /// `n` bits through the bit tree `probs`, least significant first.
    fn reverse(&mut self, probs: &mut [u16], n: u32) -> Option<u32> {
        let mut m = 1usize;
        let mut v = 0;
        for i in 0..n {
            let bit = self.bit(probs.get_mut(m)?)?;
            m = (m << 1) | bit as usize;
            v |= bit << i;
        }
        Some(v)
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

    /// A length, less the minimum of 2.
    fn decode(&mut self, rc: &mut Range) -> Option<usize> {
        Some(if rc.bit(&mut self.choice)? == 0 {
            rc.tree(&mut self.low, 3)? as usize
        } else if rc.bit(&mut self.choice2)? == 0 {
            8 + rc.tree(&mut self.mid, 3)? as usize
        } else {
            16 + rc.tree(&mut self.high, 8)? as usize
        })
    }
}

/// Every adaptive probability of the stream: `u16`s only, so that it can be filled as one slice.
#[repr(C)]
struct Model {
    literal: [u16; 0x300 << LC],
    is_match: [u16; 12],
    is_rep: [u16; 12],
    is_rep0: [u16; 12],
    is_rep1: [u16; 12],
    is_rep2: [u16; 12],
    is_rep0_long: [u16; 12],
    slot: [[u16; 64]; 4],
    special: [u16; 115],
    align: [u16; 16],
    len: Len,
    rep_len: Len,
}

/// Decodes the raw LZMA `data` into all of `out`; `None` when the data is damaged or ends early.
fn decode(data: &[u8], out: &mut [u8], m: &mut Model) -> Option<()> {
    let mut rc = Range {
        data,
        at: 0,
        range: u32::MAX,
        code: 0,
    };
    if rc.byte()? != 0 {
        return None;
    }
    for _ in 0..4 {
        rc.code = (rc.code << 8) | rc.byte()?;
    }
    let (mut state, mut rep) = (0usize, [0usize; 4]);
    let mut pos = 0usize;
    while pos < out.len() {
        if rc.bit(m.is_match.get_mut(state)?)? == 0 {
            let prev = if pos > 0 { out[pos - 1] } else { 0 };
            let base = 0x300 * (usize::from(prev) >> (8 - LC));
            let probs = m.literal.get_mut(base..base + 0x300)?;
            let mut sym = 1usize;
            if state >= 7 {
                // After a match: the byte at the match distance steers the first bits.
                let mut matched = usize::from(*out.get(pos.checked_sub(rep[0] + 1)?)?);
                while sym < 0x100 {
                    let mbit = (matched >> 7) & 1;
                    matched <<= 1;
                    let bit = rc.bit(probs.get_mut(((1 + mbit) << 8) + sym)?)? as usize;
                    sym = (sym << 1) | bit;
                    if mbit != bit {
                        break;
                    }
                }
            }
            while sym < 0x100 {
                sym = (sym << 1) | rc.bit(probs.get_mut(sym)?)? as usize;
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
        let len;
        if rc.bit(m.is_rep.get_mut(state)?)? == 1 {
            if rc.bit(m.is_rep0.get_mut(state)?)? == 0 {
                if rc.bit(m.is_rep0_long.get_mut(state)?)? == 0 {
                    // A single byte from the last distance.
                    state = if state < 7 { 9 } else { 11 };
                    out[pos] = *out.get(pos.checked_sub(rep[0] + 1)?)?;
                    pos += 1;
                    continue;
                }
            } else {
                let d = if rc.bit(m.is_rep1.get_mut(state)?)? == 0 {
                    rep[1]
                } else if rc.bit(m.is_rep2.get_mut(state)?)? == 0 {
                    let d = rep[2];
                    rep[2] = rep[1];
                    d
                } else {
                    let d = rep[3];
                    rep[3] = rep[2];
                    rep[2] = rep[1];
                    d
                };
                rep[1] = rep[0];
                rep[0] = d;
            }
            len = m.rep_len.decode(&mut rc)?;
            state = if state < 7 { 8 } else { 11 };
        } else {
            rep[3] = rep[2];
            rep[2] = rep[1];
            rep[1] = rep[0];
            len = m.len.decode(&mut rc)?;
            state = if state < 7 { 7 } else { 10 };
            let slot = rc.tree(m.slot.get_mut(len.min(3))?, 6)? as usize;
            let dist = if slot < 4 {
                slot
            } else {
                let n = (slot >> 1) as u32 - 1;
                let base = (2 | (slot & 1)) << n;
                if slot < 14 {
                    base + rc.reverse(m.special.get_mut(base - slot..)?, n)? as usize
                } else {
                    base + ((rc.direct(n - 4)? as usize) << 4)
                        + rc.reverse(&mut m.align, 4)? as usize
                }
            };
            if dist == u32::MAX as usize {
                // The end marker.
                return None;
            }
            rep[0] = dist;
        }
        let from = pos.checked_sub(rep[0] + 1)?;
        for i in 0..len + 2 {
            if pos >= out.len() {
                return None;
            }
            out[pos] = out[from + i];
            pos += 1;
        }
    }
    Some(())
}

/// The model, in static memory (13 KB: too much for the stack of a tiny module), zeroed so that it
/// takes no bytes in the wasm; [`unpack`] sets every probability to one half before decoding.
static mut MODEL: Model = Model {
    literal: [0; 0x300 << LC],
    is_match: [0; 12],
    is_rep: [0; 12],
    is_rep0: [0; 12],
    is_rep1: [0; 12],
    is_rep2: [0; 12],
    is_rep0_long: [0; 12],
    slot: [[0; 64]; 4],
    special: [0; 115],
    align: [0; 16],
    len: Len::ZERO,
    rep_len: Len::ZERO,
};

/// Decodes the `len` bytes of raw LZMA at `src` into exactly the `cap` bytes at `dst`. Returns `cap`,
/// or -1 if the stream is damaged or does not fill the output.
///
/// # Safety
/// `src..src+len` and `dst..dst+cap` must be valid, disjoint regions of this module's memory, apart
/// from its statics.
#[no_mangle]
pub unsafe extern "C" fn unpack(src: *const u8, len: usize, dst: *mut u8, cap: usize) -> isize {
    let input = core::slice::from_raw_parts(src, len);
    let output = core::slice::from_raw_parts_mut(dst, cap);
    let model = core::ptr::addr_of_mut!(MODEL);
    let size = core::mem::size_of::<Model>() / 2;
    core::slice::from_raw_parts_mut(model.cast::<u16>(), size).fill(HALF);
    decode(input, output, &mut *model).map_or(-1, |()| cap as isize)
}
