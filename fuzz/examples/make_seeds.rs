//! Writes the seed corpus (fuzz/corpus/<target>/) from the tiny model of the entry module:
//! `cargo run --example make_seeds` in fuzz/. The files are committed; rerun only when the
//! formats change.

use std::path::Path;

use crew_fuzz::{tiny_description, tiny_safetensors, tiny_tensors, TINY_CHECKPOINT};
use crew_host::compiler::{compile, CompileOptions};
use crew_host::model::Model;
use npyz::WriterBuilder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for t in ["package", "npz", "safetensors", "description"] {
        std::fs::create_dir_all(corpus.join(t))?;
    }
    std::fs::write(
        corpus.join("safetensors/tiny.safetensors"),
        tiny_safetensors(),
    )?;

    let mut npz = npyz::npz::NpzWriter::create(corpus.join("npz/tiny.npz"))?;
    for (name, shape, values) in tiny_tensors() {
        let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        let mut w = npz
            .array::<f32>(&name, Default::default())?
            .default_dtype()
            .shape(&shape)
            .begin_nd()?;
        w.extend(values)?;
        w.finish()?;
    }
    drop(npz);

    std::fs::write(
        corpus.join("description/model.toml"),
        tiny_description(TINY_CHECKPOINT),
    )?;

    let dir = std::env::temp_dir().join(format!("crew-make-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(TINY_CHECKPOINT), tiny_safetensors())?;
    std::fs::write(dir.join("model.toml"), tiny_description(TINY_CHECKPOINT))?;
    let model = Model::from_description(&dir.join("model.toml"))?;
    let package = compile(&model, &CompileOptions::default(), &mut |_| {})?;
    std::fs::write(corpus.join("package/tiny.crew"), package.to_bytes())?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
