//! crew-finetune (finetune/, PyTorch) end to end at smoke size: the project's install
//! script, one training step of g2p_en at K = 16 and its export; then crew-host's own
//! per-tensor quantization must give exactly the integers the tool trained, every column
//! at most 16 values (4-bit indices), the float model must decode as the PyTorch model
//! does, and the integer reference must run the compiled package.
//!
//! Needs the network the first time (scripts/install-finetune.sh caches the pinned
//! wheels); warm it adds about half a minute.

use std::path::{Path, PathBuf};
use std::process::Command;

use crew_host::backend::reference::Reference;
use crew_host::compiler::inspect::inspect;
use crew_host::compiler::quant::{quantize_weights, weight_scales};
use crew_host::compiler::{compile, CompileOptions};
use crew_host::model::checkpoint::Checkpoint;
use crew_host::model::{Granularity, Model};
use crew_host::runner::{decode_float, decode_integer};
use crew_host::Accelerator;

const K: usize = 16;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn finetune_python() -> String {
    let out = Command::new(repo().join("scripts/install-finetune.sh"))
        .output()
        .expect("runs scripts/install-finetune.sh");
    assert!(
        out.status.success(),
        "scripts/install-finetune.sh failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn smoke_export(dir: &Path) {
    let out = Command::new(finetune_python())
        .current_dir(repo().join("finetune"))
        .args([
            "-m",
            "crew_finetune",
            "smoke",
            "--k",
            &K.to_string(),
            "--out",
        ])
        .arg(dir)
        .output()
        .expect("runs python -m crew_finetune smoke");
    assert!(
        out.status.success(),
        "crew_finetune smoke failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn dev_words() -> Vec<String> {
    std::fs::read_to_string(repo().join("host-driver/tests/data/g2p_dev_words.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

#[test]
fn finetune_smoke_step_exports_a_k16_model_crew_host_compiles_exactly() {
    let dir = tempfile::tempdir().unwrap();
    smoke_export(dir.path());
    let model = Model::from_description(dir.path()).unwrap();

    // crew-host's per-tensor int8 quantization of the exported floats is exactly what the
    // tool trained (the tool's integers are written separately by the tool).
    let intended = Checkpoint::load(&dir.path().join("intended_int8.npz")).unwrap();
    for layer in &model.layers {
        for (p, w) in layer.weights.iter().enumerate() {
            let name = format!("{}.{p}", layer.name);
            let want = intended.get(&name).unwrap();
            let got = quantize_weights(w, &weight_scales(w, Granularity::PerTensor));
            assert_eq!(want.shape, w.shape, "{name}");
            let differ = got
                .iter()
                .zip(&want.data)
                .filter(|(&g, &t)| g as f32 != t)
                .count();
            assert_eq!(
                differ, 0,
                "{name}: {differ} int8 weights differ from the tool's"
            );
        }
    }

    let package = compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap();
    let stats = inspect(&package).unwrap();
    assert_eq!(stats.len(), 5);
    for s in &stats {
        assert!(
            s.unique_max <= K && s.bits_max <= 4,
            "{} pass {}: {} values, {} bits in a column",
            s.layer,
            s.pass,
            s.unique_max,
            s.bits_max
        );
    }

    // The exported float model decodes as the PyTorch model it came from.
    let pytorch: std::collections::BTreeMap<String, Vec<String>> = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("pytorch_phonemes.json")).unwrap(),
    )
    .unwrap();
    let words = dev_words();
    assert_eq!(pytorch.len(), words.len());
    let mut reference = Reference::new();
    reference.load(&package).unwrap();
    let mut integer_as_float = 0;
    for w in &words {
        let float = decode_float(&model, w).unwrap();
        assert_eq!(&float, &pytorch[w], "float model vs PyTorch on {w}");
        integer_as_float +=
            (decode_integer(&mut reference, &package, w).unwrap() == float) as usize;
    }
    // Weights are identical; only activation quantization separates the two.
    eprintln!("integer reference = float model on {integer_as_float}/64 dev words");
    assert!(integer_as_float >= 48, "only {integer_as_float}/64");
}
