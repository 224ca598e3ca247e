//! Unpacks the elma365-voip core inside the module script: [`unpack`] inflates the deflated core (raw
//! DEFLATE, decoded from base64 by `stage0.wat`) into the core's wasm bytes. The build checks that the
//! result equals the core byte for byte.
#![no_std]

use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
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
    let mut state = DecompressorOxide::new();
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, _, written) = decompress(&mut state, input, output, 0, flags);
    if status == TINFLStatus::Done {
        written as isize
    } else {
        -1
    }
}
