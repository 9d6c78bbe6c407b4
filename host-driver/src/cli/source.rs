//! Resolving the MODEL argument: a package, a description, a checkpoint or the bundled model.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use crew_host::compiler::{compile, CompileOptions, Progress};
use crew_host::error::{Error, Result};
use crew_host::model::checkpoint;
use crew_host::model::{Granularity, IndexWidth, Model, QuantSettings};
use crew_host::Package;

/// The folder of the bundled models (models/ in the source tree).
pub fn bundled_models() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models"))
}

/// Where the bundled g2p model lives (models/g2p_en in the source tree).
pub fn bundled_model() -> PathBuf {
    bundled_models().join("g2p_en")
}

/// MODEL as given, or a bundled model's folder when MODEL is a bare name (`g2p_en_k16`)
/// that names no file here but a folder of models/.
pub fn resolve(model: Option<&Path>) -> PathBuf {
    let Some(path) = model else {
        return bundled_model();
    };
    let bare = path.components().count() == 1 && path.extension().is_none();
    let bundled = bundled_models().join(path);
    if bare && !path.exists() && bundled.join("model.toml").is_file() {
        bundled
    } else {
        path.to_path_buf()
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GranularityArg {
    PerTensor,
    PerRow,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum IndexWidthArg {
    PerColumn,
    PerLayer,
}

/// Options shared by every subcommand that may compile.
#[derive(clap::Args, Clone)]
pub struct ModelOptions {
    /// Checkpoint without a description: compile the PyTorch-named layer under PREFIX.
    #[arg(long, value_name = "PREFIX")]
    pub layer: Option<String>,
    /// Calibrate the input scale on these inputs (.npy, rows = samples); default s_x = 1/127.
    #[arg(long, value_name = "X.npy")]
    pub calibrate: Option<PathBuf>,
    /// Weight scale granularity (overrides the description).
    #[arg(long, value_enum)]
    pub granularity: Option<GranularityArg>,
    /// Index width per column or one per layer (overrides the description).
    #[arg(long, value_enum)]
    pub index_width: Option<IndexWidthArg>,
    /// Non-uniform per-input tables of at most K int16 entries (0 = off).
    #[arg(long, value_name = "K")]
    pub max_unique: Option<usize>,
    /// DRAM word address of the image.
    #[arg(long, default_value_t = 0)]
    pub load_addr: u32,
    /// Keep the x pass of embedding-fed layers as column records (by default it is folded
    /// into one int32 row block per token, which the engine loads instead of streaming
    /// W_ih: the same sums, half the DRAM bytes of a g2p step).
    #[arg(long)]
    pub no_fold_tokens: bool,
}

/// A loaded model or package.
pub enum Source {
    Package(Package),
    Model(Model),
}

pub fn is_package(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some("crew")
}

/// Loads MODEL (default: the bundled g2p model; a bare name picks a bundled model).
pub fn load(model: Option<&Path>, opts: &ModelOptions) -> Result<Source> {
    let path = resolve(model);
    if is_package(&path) {
        return Ok(Source::Package(Package::read(&path)?));
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let model = if matches!(ext, "npz" | "safetensors") {
        Model::from_checkpoint(
            &path,
            opts.layer.as_deref().unwrap_or(""),
            QuantSettings::default(),
        )?
    } else {
        if opts.layer.is_some() {
            return Err(Error::Usage(format!(
                "--layer applies to checkpoints (.npz, .safetensors), not {}",
                path.display()
            )));
        }
        Model::from_description(&path)?
    };
    Ok(Source::Model(model))
}

/// Compiles a model with the command-line overrides; `progress` sees each event.
pub fn compile_model(
    model: &Model,
    opts: &ModelOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Package> {
    let calibration = match &opts.calibrate {
        Some(p) => Some(checkpoint::read_npy(p)?),
        None => None,
    };
    let options = CompileOptions {
        load_addr: opts.load_addr,
        granularity: opts.granularity.map(|g| match g {
            GranularityArg::PerTensor => Granularity::PerTensor,
            GranularityArg::PerRow => Granularity::PerRow,
        }),
        index_width: opts.index_width.map(|w| match w {
            IndexWidthArg::PerColumn => IndexWidth::PerColumn,
            IndexWidthArg::PerLayer => IndexWidth::PerLayer,
        }),
        max_unique: opts.max_unique,
        calibration,
        no_token_folding: opts.no_fold_tokens,
        max_source_steps: None,
    };
    compile(model, &options, progress)
}

/// The package for MODEL: read, or compiled in memory.
pub fn package(source: &Source, opts: &ModelOptions) -> Result<Package> {
    match source {
        Source::Package(p) => Ok(p.clone()),
        Source::Model(m) => compile_model(m, opts, &mut |_| {}),
    }
}
