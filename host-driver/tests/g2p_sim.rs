//! g2p through the simulated board (Verilator backend) via the CLI: every layer run of
//! every word compared bit for bit with the integer reference (`infer --json`), for a
//! fixed subset of eight dev words and for all 64 (tests/data/g2p_dev_words.tsv, whose
//! phonemes come from the float model, so the match count measures quantization).

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

fn infer_word_list(backend: &str, list: &std::path::Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_crew-host"))
        .args(["infer", "--backend", backend, "--json", "--word-list"])
        .arg(list)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn phonemes(word: &serde_json::Value) -> String {
    let list: Vec<&str> = word["phonemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    list.join(" ")
}

#[test]
fn all_64_dev_words_on_the_simulated_board_are_bit_exact() {
    let list =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/g2p_dev_words.tsv");
    let dev = std::fs::read_to_string(&list).unwrap();
    let float: Vec<(&str, &str)> = dev
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_once('\t').expect("word<TAB>phonemes"))
        .collect();
    assert_eq!(float.len(), 64);
    let board = infer_word_list("sim", &list);
    let reference = infer_word_list("reference", &list);
    // The reference backend prints the word list alone, the devices a summary beside it.
    let (board, reference) = (
        board["words"].as_array().unwrap(),
        reference.as_array().unwrap(),
    );
    assert_eq!(board.len(), 64);
    let mut matches = 0;
    for ((b, r), (word, float_phonemes)) in board.iter().zip(reference).zip(&float) {
        assert_eq!(b["word"], *word);
        assert_eq!(b["bit_exact"], true, "{b}");
        assert_eq!(
            phonemes(b),
            phonemes(r),
            "{word}: board vs integer reference"
        );
        if phonemes(b) == *float_phonemes {
            matches += 1;
        } else {
            eprintln!(
                "{word}: board {}, float model {float_phonemes}",
                phonemes(b)
            );
        }
    }
    eprintln!("phoneme_matches={matches}/64 (simulated board vs the float model)");
}
