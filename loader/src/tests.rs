//! The decoder against the `zstd` command (the one the build packs the core with): round trips of
//! inputs that make it use every kind of block, literals section and table mode, at several levels,
//! and damaged frames, which must end in `None` (or in the very same bytes), never in a panic.

use super::*;
use std::boxed::Box;
use std::io::Write;
use std::process::{Command, Stdio};
use std::vec::Vec;

/// `data` packed by the `zstd` command with `args` (a content size and a checksum, as the build).
fn pack(data: &[u8], args: &[&str]) -> Vec<u8> {
    let mut child = Command::new("zstd")
        .args(["-q", "-c", "--check", "--no-progress"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the zstd command (scripts/setup.sh installs it)");
    let mut stdin = child.stdin.take().unwrap();
    let input = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// `data` packed as the build packs the core (scripts/build.js, zstdPack): from a file, so that the frame
/// announces its content's size.
fn pack_like_the_build(data: &[u8]) -> Vec<u8> {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(std::format!(
        "elma365-voip-loader-{}-{call}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (file, packed) = (dir.join("in"), dir.join("in.zst"));
    std::fs::write(&file, data).unwrap();
    let status = Command::new("zstd")
        .args([
            "-q",
            "-f",
            "--ultra",
            "-22",
            "--check",
            "--single-thread",
            "--no-progress",
        ])
        .arg(&file)
        .arg("-o")
        .arg(&packed)
        .status()
        .expect("the zstd command (scripts/setup.sh installs it)");
    assert!(status.success());
    let out = std::fs::read(&packed).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    out
}

/// What the decoder makes of `frame`, for an output of `size` bytes, stepping as the module script
/// does (16 KiB limits).
fn unpack(frame: &[u8], size: usize) -> Option<Vec<u8>> {
    let mut dec = Box::new(Dec::ZERO);
    let mut out = std::vec![0u8; size];
    dec.start(frame, size)?;
    let mut n = 0;
    while n < size {
        let next = dec.step(frame, &mut out, n + 16384)?;
        assert!(next > n || next == size, "no progress at {n}");
        n = next;
    }
    if size == 0 {
        dec.step(frame, &mut out, 16384)?;
    }
    Some(out)
}

/// A deterministic pseudo-random generator.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Text-like bytes: words from a small vocabulary, so that there are matches, repeat offsets and
/// skewed literals.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let words: [&[u8]; 12] = [
        b"call ",
        b"webhook ",
        b"\xd0\xb7\xd0\xb2\xd0\xbe\xd0\xbd\xd0\xbe\xd0\xba ",
        b"the ",
        b"record ",
        b"{\"session_id\":",
        b"\n",
        b"0123456789",
        b"Rostelecom ",
        b"Oktell ",
        b"; ",
        b"\x00\x01\x02",
    ];
    let mut r = Lcg(seed);
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        out.extend_from_slice(words[(r.next() % 12) as usize]);
        if r.next() % 5 == 0 {
            out.push((r.next() & 0xff) as u8);
        }
    }
    out.truncate(len);
    out
}

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Lcg(seed);
    (0..len).map(|_| r.next() as u8).collect()
}

/// The inputs: empty, tiny, text, random (raw blocks and raw literals), runs (RLE blocks), and
/// mixtures across block boundaries; plus this repository's core.
fn inputs() -> Vec<Vec<u8>> {
    let mut all = std::vec![Vec::new(), b"a".to_vec(), b"abcabcabcabcabc".to_vec()];
    for len in [5, 31, 64, 100, 255, 1000, 4096, 70_000, 300_000] {
        all.push(text(len, len as u64));
    }
    all.push(random(3000, 1));
    all.push(random(200_000, 2));
    all.push(std::vec![7u8; 400_000]);
    let mut mixed = text(100_000, 3);
    mixed.extend(std::vec![0u8; 150_000]);
    mixed.extend(random(50_000, 4));
    mixed.extend(text(120_000, 5));
    all.push(mixed);
    // The core itself: required where scripts/test.sh names it (after the build), else taken if a build left it.
    match std::env::var("ELMA365_VOIP_CORE") {
        Ok(core) => all.push(std::fs::read(&core).unwrap_or_else(|e| panic!("{core}: {e}"))),
        Err(_) => {
            let core = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/wasm-build/no-modules/elma365_voip_bg.wasm"
            );
            all.extend(std::fs::read(core).ok());
        }
    }
    all
}

#[test]
fn round_trips_at_every_level() {
    for data in inputs() {
        for args in [
            &["-1"][..],
            &["-3"],
            &["-9"],
            &["-19"],
            &["--ultra", "-22"],
            &["--ultra", "-22", "--long=20"],
        ] {
            let frame = pack(&data, args);
            let out = unpack(&frame, data.len());
            assert!(
                out.as_deref() == Some(&data[..]),
                "{} bytes at {args:?}: {:?}",
                data.len(),
                out.map(|o| o.len())
            );
        }
        // As the build packs: a single segment that announces its size, and a checksum.
        let frame = pack_like_the_build(&data);
        assert_eq!(
            frame[4] & 0x24,
            0x24,
            "{} bytes: a single segment and a checksum",
            data.len()
        );
        let out = unpack(&frame, data.len());
        assert!(
            out.as_deref() == Some(&data[..]),
            "{} bytes as the build packs them",
            data.len()
        );
        assert!(
            unpack(&frame, data.len() + 1).is_none(),
            "{} bytes: another size",
            data.len()
        );
    }
}

#[test]
fn xxh64_matches_the_reference_values() {
    // From the xxHash reference implementation's sanity checks (seed 0).
    assert_eq!(xxh64(b""), 0xEF46DB3751D8E999);
    assert_eq!(xxh64(b"a"), 0xD24EC4F1A98C6E5B);
    assert_eq!(xxh64(b"abc"), 0x44BC2CF5AD770999);
}

#[test]
fn a_frame_that_does_not_announce_the_size_or_a_checksum_is_refused() {
    let data = text(5000, 9);
    let frame = pack(&data, &["-19"]);
    assert!(unpack(&frame, data.len() + 1).is_none());
    assert!(unpack(&frame, data.len() - 1).is_none());
    let unchecked = pack(&data, &["-19", "--no-check"]);
    assert_eq!(
        unchecked[4] & 0x04,
        0,
        "--no-check leaves the checksum flag clear"
    );
    assert!(unpack(&unchecked, data.len()).is_none());
}

#[test]
fn damaged_frames_end_in_none_or_the_same_bytes_never_a_panic() {
    let mut r = Lcg(77);
    for data in [text(20_000, 11), random(3000, 12), text(200_000, 13)] {
        let frame = pack_like_the_build(&data);
        // Every truncation.
        let step = (frame.len() / 3000).max(1);
        for cut in (0..frame.len()).step_by(step) {
            assert!(unpack(&frame[..cut], data.len()).is_none(), "cut at {cut}");
        }
        // Single bytes changed, and runs of bytes overwritten.
        for i in 0..3000 {
            let mut bad = frame.clone();
            let at = (r.next() as usize) % bad.len();
            if i % 3 == 0 {
                let end = (at + 1 + (r.next() as usize % 40)).min(bad.len());
                for b in &mut bad[at..end] {
                    *b = r.next() as u8;
                }
            } else {
                bad[at] ^= 1 + (r.next() % 255) as u8;
            }
            let out = unpack(&bad, data.len());
            assert!(
                out.is_none() || out.as_deref() == Some(&data[..]),
                "damage at {at}"
            );
        }
    }
}
