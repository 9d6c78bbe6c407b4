//! g2p through the simulated board via the CLI: a fixed subset of eight dev words (the
//! first eight of tests/data/g2p_dev_words.tsv), each
//! layer run compared bit for bit with the integer reference (`infer --json`).
//!
//! Loading the 0.9 MB g2p image through the simulated pipe and reading it back takes
//! minutes in the test profile, so this test is opt-in:
//! `cargo test --release -p crew-host --test g2p_sim -- --ignored`.

use std::process::Command;

const WORDS: [&str; 8] = [
    "age",
    "agitating",
    "attending",
    "atwitter",
    "ballistics",
    "barefaced",
    "blackness",
    "bluefish",
];

#[test]
#[ignore = "minutes in the test profile (0.9 MB image through the simulated pipe); run with --release -- --ignored"]
fn eight_dev_words_on_the_simulated_board_are_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("words.tsv");
    let dev = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/g2p_dev_words.tsv"),
    )
    .unwrap();
    // The dev words with their float phonemes.
    let lines: Vec<String> = WORDS
        .iter()
        .map(|w| {
            dev.lines()
                .find(|l| l.split('\t').next() == Some(w))
                .expect("a dev word")
                .to_string()
        })
        .collect();
    std::fs::write(&list, lines.join("\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args(["infer", "--backend", "sim", "--json", "--word-list"])
        .arg(&list)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let words = v["words"].as_array().unwrap();
    assert_eq!(words.len(), 8);
    for w in words {
        assert_eq!(w["bit_exact"], true, "{w}");
        assert!(w["cycles"].as_u64().unwrap() > 0, "{w}");
        eprintln!("{}: {} ({} cycles)", w["word"], w["phonemes"], w["cycles"]);
    }
    assert_eq!(v["summary"]["bit_exact_words"], 8);
}
