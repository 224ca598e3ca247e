//! Unpacks the elma365-voip core inside the module script: [`unpack`] inflates the deflated core (raw
//! DEFLATE, decoded from Z85 by `stage0.wat`) into the core's wasm bytes. The build checks that the
//! result equals the core byte for byte.
//!
//! A small canonical-Huffman inflater after Mark Adler's `puff.c` (RFC 1951: stored, fixed and dynamic
//! blocks), decoding one bit at a time. It replaces miniz_oxide's decoder, whose table-driven fast paths
//! made the unpacker 10,823 bytes of wasm; this one is a fraction of that (ARCHITECTURE.md, "Loading the
//! core"). Its input is the build's own output, checked at build time; damaged input still ends in -1,
//! never out of bounds: every read and write is checked.
#![no_std]

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The longest Huffman code DEFLATE allows.
const MAX_BITS: usize = 15;

/// The bit reader: least significant bit first.
struct Input<'a> {
    data: &'a [u8],
    at: usize,
    acc: u32,
    held: u32,
}

impl Input<'_> {
    /// The next `n` bits (at most 16: DEFLATE reads no more at once), or `None` past the end.
    fn bits(&mut self, n: u32) -> Option<u32> {
        self.fill();
        if self.held < n {
            return None;
        }
        let v = self.acc & ((1u32 << n) - 1);
        self.acc >>= n;
        self.held -= n;
        Some(v)
    }

    /// Loads whole bytes while at least one more fits (at the end of the data, fewer).
    fn fill(&mut self) {
        while self.held <= 24 {
            let Some(&b) = self.data.get(self.at) else {
                return;
            };
            self.at += 1;
            self.acc |= u32::from(b) << self.held;
            self.held += 8;
        }
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman {
    count: [u16; MAX_BITS + 1],
    symbol: [u16; 288],
}

impl Huffman {
    /// The code for these code lengths (one per symbol, 0 = unused).
    fn new(lengths: &[u8]) -> Option<Huffman> {
        let mut h = Huffman {
            count: [0; MAX_BITS + 1],
            symbol: [0; 288],
        };
        for &l in lengths {
            *h.count.get_mut(usize::from(l))? += 1;
        }
        let mut offset = [0u16; MAX_BITS + 2];
        for len in 1..=MAX_BITS {
            offset[len + 1] = offset[len] + h.count[len];
        }
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                let slot = offset.get_mut(usize::from(l))?;
                *h.symbol.get_mut(usize::from(*slot))? = sym as u16;
                *slot += 1;
            }
        }
        Some(h)
    }

    fn decode(&self, input: &mut Input) -> Option<usize> {
        // A code is at most 15 bits: load them at once, then take them one by one from the accumulator.
        input.fill();
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..=MAX_BITS {
            if input.held == 0 {
                return None;
            }
            code |= (input.acc & 1) as i32;
            input.acc >>= 1;
            input.held -= 1;
            let count = i32::from(self.count[len]);
            if code - count < first {
                return self
                    .symbol
                    .get((index + code - first) as usize)
                    .map(|&s| usize::from(s));
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order in which a dynamic block sends its code-length code lengths.
const ORDER: [u8; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The inflater's output: a buffer it writes from the start.
struct Output<'a> {
    data: &'a mut [u8],
    len: usize,
}

impl Output<'_> {
    fn push(&mut self, b: u8) -> Option<()> {
        *self.data.get_mut(self.len)? = b;
        self.len += 1;
        Some(())
    }
}

/// One block's symbols until its end code.
fn codes(input: &mut Input, out: &mut Output, lit: &Huffman, dist: &Huffman) -> Option<()> {
    loop {
        let sym = lit.decode(input)?;
        if sym < 256 {
            out.push(sym as u8)?;
        } else if sym == 256 {
            return Some(());
        } else {
            let i = sym - 257;
            let len =
                usize::from(*LEN_BASE.get(i)?) + input.bits(u32::from(LEN_EXTRA[i]))? as usize;
            let d = dist.decode(input)?;
            let back =
                usize::from(*DIST_BASE.get(d)?) + input.bits(u32::from(DIST_EXTRA[d]))? as usize;
            let from = out.len.checked_sub(back)?;
            for k in 0..len {
                let b = *out.data.get(from + k)?;
                out.push(b)?;
            }
        }
    }
}

/// A dynamic block's two codes.
fn dynamic(input: &mut Input) -> Option<(Huffman, Huffman)> {
    let nlen = input.bits(5)? as usize + 257;
    let ndist = input.bits(5)? as usize + 1;
    let ncode = input.bits(4)? as usize + 4;
    if nlen > 286 || ndist > 30 {
        return None;
    }
    let mut lengths = [0u8; 320];
    for &o in &ORDER[..ncode] {
        lengths[usize::from(o)] = input.bits(3)? as u8;
    }
    let lencode = Huffman::new(&lengths[..19])?;
    let mut i = 0;
    while i < nlen + ndist {
        let sym = lencode.decode(input)?;
        let (value, times) = match sym {
            0..=15 => (sym as u8, 1),
            16 => (
                *lengths.get(i.checked_sub(1)?)?,
                3 + input.bits(2)? as usize,
            ),
            17 => (0, 3 + input.bits(3)? as usize),
            _ => (0, 11 + input.bits(7)? as usize),
        };
        for _ in 0..times {
            *lengths.get_mut(i)? = value;
            i += 1;
        }
        if i > nlen + ndist {
            return None;
        }
    }
    Some((
        Huffman::new(&lengths[..nlen])?,
        Huffman::new(&lengths[nlen..nlen + ndist])?,
    ))
}

/// The fixed block's two codes.
fn fixed() -> Option<(Huffman, Huffman)> {
    let mut lengths = [0u8; 288];
    for (i, l) in lengths.iter_mut().enumerate() {
        *l = match i {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
    }
    Some((Huffman::new(&lengths)?, Huffman::new(&[5u8; 30])?))
}

/// Inflates raw DEFLATE `data` into `out`; the number of bytes written.
fn inflate(data: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut input = Input {
        data,
        at: 0,
        acc: 0,
        held: 0,
    };
    let mut out = Output { data: out, len: 0 };
    loop {
        let last = input.bits(1)?;
        match input.bits(2)? {
            0 => {
                // Stored: the rest of this byte is dropped (whole bytes already loaded stay); LEN, its
                // complement, then the bytes.
                let partial = input.held % 8;
                input.acc >>= partial;
                input.held -= partial;
                let len = input.bits(16)?;
                if input.bits(16)? != !len & 0xffff {
                    return None;
                }
                for _ in 0..len {
                    let b = input.bits(8)? as u8;
                    out.push(b)?;
                }
            }
            1 => {
                let (lit, dist) = fixed()?;
                codes(&mut input, &mut out, &lit, &dist)?;
            }
            2 => {
                let (lit, dist) = dynamic(&mut input)?;
                codes(&mut input, &mut out, &lit, &dist)?;
            }
            _ => return None,
        }
        if last == 1 {
            return Some(out.len);
        }
    }
}

/// Inflates the `len` bytes of raw DEFLATE at `src` into the `cap` bytes at `dst`. Returns the number
/// of bytes written, or -1 if the stream is damaged or does not fit.
///
/// # Safety
/// `src..src+len` and `dst..dst+cap` must be valid, disjoint regions of this module's memory.
#[no_mangle]
pub unsafe extern "C" fn unpack(src: *const u8, len: usize, dst: *mut u8, cap: usize) -> isize {
    let input = core::slice::from_raw_parts(src, len);
    let output = core::slice::from_raw_parts_mut(dst, cap);
    inflate(input, output).map_or(-1, |n| n as isize)
}
