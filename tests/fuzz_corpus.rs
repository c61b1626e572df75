//! Replays the committed fuzz corpora (and any crash artifacts left in
//! `fuzz/artifacts/`) through the fuzz targets' bodies on stable Rust, so
//! that a crash found once stays fixed without a nightly toolchain.

use std::path::{Path, PathBuf};

use asterism::fuzz_support::{inputs_target, spec_target};

/// The files directly inside `dir`, sorted (empty if it does not exist).
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Runs `target` on every file, naming the file if it panics.
fn replay(files: &[PathBuf], target: fn(&[u8])) {
    for path in files {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| target(&data));
        if let Err(panic) = outcome {
            eprintln!("the fuzz target panicked on {}", path.display());
            std::panic::resume_unwind(panic);
        }
    }
}

/// A corpus directory's files; it must not be empty, or the test would
/// pass on nothing.
fn corpus(name: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("corpus").join(name);
    let files = files_in(&dir);
    assert!(
        !files.is_empty(),
        "{} holds no corpus files; the replay would test nothing",
        dir.display()
    );
    files
}

#[test]
fn spec_corpus_replays_cleanly() {
    replay(&corpus("spec"), spec_target);
}

#[test]
fn inputs_corpus_replays_cleanly() {
    replay(&corpus("inputs"), inputs_target);
}

/// Crash inputs cargo-fuzz left behind (`fuzz/artifacts/<target>/`), if any.
#[test]
fn fuzz_artifacts_replay_cleanly() {
    let artifacts = fuzz_dir().join("artifacts");
    replay(&files_in(&artifacts.join("spec")), spec_target);
    replay(&files_in(&artifacts.join("inputs")), inputs_target);
}

#[test]
fn lang_corpus_replays_cleanly() {
    replay(&corpus("lang"), asterism::fuzz_support::lang_target);
}
