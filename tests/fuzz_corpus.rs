//! Replays every committed fuzz input (fuzz/corpus/<target>/ and fuzz/artifacts/<target>/) through
//! the matching `elma365_voip_fuzz_logic` function (fuzz/logic), on stable and without libFuzzer: a crash once
//! found and fixed stays fixed, and the corpus keeps exercising the code it reached.

use elma365_voip_fuzz_logic::{Target, TARGETS};
use std::path::Path;
use std::time::Instant;

fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Replays every file under `dir/<target>/`; returns how many ran. Fails on a directory that
/// names no target.
fn replay(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut runs = 0;
    let mut dirs: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for sub in dirs.into_iter().filter(|p| p.is_dir()) {
        let name = sub.file_name().unwrap().to_string_lossy().into_owned();
        let run = target(&name).unwrap_or_else(|| {
            panic!(
                "{} has no matching function in elma365_voip_fuzz_logic::TARGETS",
                sub.display()
            )
        });
        let mut files: Vec<_> = std::fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{} panics", file.display());
            runs += 1;
        }
    }
    runs
}

#[test]
fn every_committed_fuzz_input_runs_without_a_panic() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let started = Instant::now();
    let corpus = replay(&fuzz.join("corpus"));
    let artifacts = replay(&fuzz.join("artifacts"));
    assert!(corpus > 0, "no corpus under {}", fuzz.display());
    for (name, _) in TARGETS {
        assert!(
            fuzz.join("corpus").join(name).is_dir(),
            "no corpus for the target {name}"
        );
    }
    eprintln!(
        "replayed {corpus} corpus inputs and {artifacts} crash inputs in {:?}",
        started.elapsed()
    );
}

#[test]
fn a_directory_without_a_target_is_an_error() {
    let dir = std::env::temp_dir().join(format!("elma365-voip-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("no_such_target")).unwrap();
    let outcome = std::panic::catch_unwind(|| replay(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(outcome.is_err());
}
