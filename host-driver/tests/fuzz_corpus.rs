//! Corpus replay: every file of the fuzz corpus (fuzz/corpus/<target>/, seeds plus the
//! inputs that once crashed a target) and deterministic mutations of them go through the
//! same entry points as the cargo-fuzz targets (fuzz/src/entry.rs, included here). None
//! may panic; the seeds must be accepted and damaged data must be rejected with an error.

// The seed generator (fuzz/examples/make_seeds.rs) uses parts this test does not.
#[allow(dead_code)]
#[path = "../../fuzz/src/entry.rs"]
mod entry;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

type Target = fn(&[u8]) -> Result<(), String>;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Runs `target` on `data`; a panic fails the test naming the input.
fn feed(target: Target, what: &str, data: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| target(data)))
        .unwrap_or_else(|_| panic!("{what}: the entry point panicked"))
}

/// Deterministic mutations of a seed: prefixes, single bit flips, bytes forced to
/// 0x00/0xFF/0x7F, and a duplicated block, spread over the whole input.
fn mutations(seed: &[u8], count: usize) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let n = seed.len().max(1);
    let stride = (n / count.max(1)).max(1);
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ n as u64;
    let mut rand = move |m: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % m.max(1) as u64) as usize
    };
    for k in (0..seed.len()).step_by(stride * 4) {
        out.push((format!("prefix {k}"), seed[..k].to_vec()));
    }
    for k in (0..seed.len()).step_by(stride) {
        let mut m = seed.to_vec();
        m[k] ^= 1 << rand(8);
        out.push((format!("bit flip at {k}"), m));
        let mut m = seed.to_vec();
        m[k] = [0x00, 0xFF, 0x7F][rand(3)];
        out.push((format!("byte at {k} forced"), m));
    }
    let a = rand(n);
    let b = (a + 1 + rand(64)).min(seed.len());
    let mut m = seed.to_vec();
    m.splice(a..a, seed[a.min(seed.len())..b].to_vec());
    out.push((format!("block {a}..{b} duplicated"), m));
    out
}

fn replay(target_name: &str, target: Target, mutations_per_file: usize) -> (usize, usize) {
    let (mut accepted, mut rejected) = (0, 0);
    for (path, bytes) in corpus(target_name) {
        let name = path.display().to_string();
        let _ = feed(target, &name, &bytes);
        for (what, m) in mutations(&bytes, mutations_per_file) {
            match feed(target, &format!("{name}, {what}"), &m) {
                Ok(()) => accepted += 1,
                Err(_) => rejected += 1,
            }
        }
    }
    (accepted, rejected)
}

fn seed(target: &str, file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus")
            .join(target)
            .join(file),
    )
    .unwrap()
}

#[test]
fn package_corpus_replays_without_panics() {
    let tiny = seed("package", "tiny.crew");
    entry::package(&tiny).expect("the seed package loads");
    // Every strict prefix is truncated and every flipped bit breaks a CRC or a check.
    for k in (0..tiny.len()).step_by(97) {
        assert!(entry::package(&tiny[..k]).is_err(), "prefix {k} accepted");
    }
    let (_, rejected) = replay("package", entry::package, 150);
    assert!(rejected > 100, "only {rejected} mutations rejected");
}

#[test]
fn npz_corpus_replays_without_panics() {
    let tiny = seed("npz", "tiny.npz");
    entry::npz(&tiny).expect("the seed npz loads");
    assert!(entry::npz(&tiny[..tiny.len() / 2]).is_err());
    assert!(entry::npz(b"PK\x03\x04 not really a zip").is_err());
    // Found by the replay itself: a header `{{{{...` hung npyz's header parser.
    let nested = seed("npz", "regress-nested-header.npz");
    let started = std::time::Instant::now();
    assert!(entry::npz(&nested).is_err());
    assert!(
        started.elapsed().as_secs() < 10,
        "nested header took {:?}",
        started.elapsed()
    );
    let (_, rejected) = replay("npz", entry::npz, 150);
    assert!(rejected > 50, "only {rejected} mutations rejected");
}

#[test]
fn safetensors_corpus_replays_without_panics() {
    let tiny = seed("safetensors", "tiny.safetensors");
    assert_eq!(
        tiny,
        entry::tiny_safetensors(),
        "seed matches its generator"
    );
    entry::safetensors(&tiny).expect("the seed safetensors loads");
    assert!(entry::safetensors(&tiny[..tiny.len() - 1]).is_err());
    assert!(entry::safetensors(&u64::MAX.to_le_bytes()).is_err());
    let (_, rejected) = replay("safetensors", entry::safetensors, 150);
    assert!(rejected > 50, "only {rejected} mutations rejected");
}

#[test]
fn description_corpus_replays_without_panics() {
    let tiny = seed("description", "model.toml");
    entry::description(&tiny).expect("the seed description compiles");
    let text = String::from_utf8(tiny.clone()).unwrap();
    for bad in [
        text.replace("gru_w_hh", "no_such_tensor"),
        text.replace("kind = \"linear\"", "kind = \"conv\""),
        text.replace("[quantization]", "[quantization]\nbits = 3"),
        text.replace("tiny.safetensors", "tiny.onnx"),
        text.replace("{ layer = \"gru\" }", "{ layer = \"fc\" }"),
        text.replace("{ embedding = \"emb\" }", "{ scale = -1.0 }"),
    ] {
        assert!(
            entry::description(bad.as_bytes()).is_err(),
            "accepted:\n{bad}"
        );
    }
    assert!(entry::description(&[0xC3, 0x28]).is_err(), "invalid UTF-8");
    let (_, rejected) = replay("description", entry::description, 40);
    assert!(rejected > 20, "only {rejected} mutations rejected");
}
