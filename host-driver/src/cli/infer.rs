//! `crew-host infer MODEL_OR_PACKAGE --backend reference (--words w1,w2 | --input X.npy
//! --output Y.npy)`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::ValueEnum;
use crew_host::checkpoint::{read_npy, write_npy};
use crew_host::reference::Reference;
use crew_host::runner::{decode_float, decode_integer, sequence_integer};
use crew_host::Accelerator;
use serde::Serialize;

use super::source::{self, ModelOptions, Source};

#[derive(Clone, Copy, ValueEnum)]
pub enum Backend {
    /// The bit-exact integer reference (software).
    Reference,
}

#[derive(clap::Args)]
pub struct Args {
    /// A .crew package or a model (compiled in memory); default: the bundled g2p model.
    pub model: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "reference")]
    pub backend: Backend,
    /// Words to convert (sequence-to-sequence models), comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["input", "output"])]
    pub words: Vec<String>,
    /// Input tensor (steps x inputs, float32 .npy).
    #[arg(long, value_name = "X.npy", requires = "output")]
    pub input: Option<PathBuf>,
    /// Output tensor (steps x outputs, float32 .npy, dequantized).
    #[arg(long, value_name = "Y.npy", requires = "input")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub options: ModelOptions,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct WordResult {
    word: String,
    phonemes: Vec<String>,
    /// The float model's phonemes, when a model (not a package) was given.
    float: Option<Vec<String>>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let src = source::load(args.model.as_deref(), &args.options)?;
    let package = source::package(&src, &args.options)?;
    let mut accel: Box<dyn Accelerator> = match args.backend {
        Backend::Reference => Box::new(Reference::new()),
    };
    accel.load(&package)?;
    if let (Some(input), Some(output)) = (&args.input, &args.output) {
        let x = read_npy(input).context("reading the input tensor")?;
        let y = sequence_integer(accel.as_mut(), &package, &x)?;
        write_npy(output, &y)?;
        if args.json {
            println!(
                "{}",
                serde_json::json!({"output": output, "shape": y.shape, "backend": accel.name()})
            );
        } else {
            eprintln!(
                "wrote {} ({:?}) with the {} backend",
                output.display(),
                y.shape,
                accel.name()
            );
        }
        return Ok(());
    }
    if args.words.is_empty() {
        bail!("give --words w1,w2 (sequence-to-sequence models) or --input X.npy --output Y.npy");
    }
    let mut results = Vec::new();
    for word in &args.words {
        let phonemes = decode_integer(accel.as_mut(), &package, word)?;
        let float = match &src {
            Source::Model(m) => Some(decode_float(m, word)?),
            Source::Package(_) => None,
        };
        results.push(WordResult {
            word: word.clone(),
            phonemes,
            float,
        });
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for r in &results {
            let note = match &r.float {
                Some(f) if *f != r.phonemes => format!("   (float model: {})", f.join(" ")),
                _ => String::new(),
            };
            println!("{}\t{}{note}", r.word, r.phonemes.join(" "));
        }
    }
    Ok(())
}
