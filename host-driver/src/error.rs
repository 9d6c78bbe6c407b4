//! Typed errors of the library, at the bottom of the import graph: this file uses no other
//! module of the crate except the transport layer's errors ([`TransportError`],
//! [`UsbError`]; transport/ imports nothing of the crate). One type per layer, each a
//! variant of [`Error`]:
//!
//! - model import, package and compile problems: [`Error`]'s own variants;
//! - running a package on any backend (driver, reference, lockstep): [`RunError`];
//! - bitstream manifests: [`BitstreamError`];
//! - the transports and USB enumeration: [`TransportError`], [`UsbError`] (defined in
//!   transport/, re-exported here);
//! - the benchmark: [`BenchError`].
//!
//! [`Error::class`] is the one classification of every error into the exit codes of
//! `crew-host` (0 ok, 1 device/runtime and run-time input, 2 bitstream/build/model/command
//! line, 3 environment); the CLI maps the class to the number and adds a hint. Every
//! message names the file and the part of it at fault.

use std::path::PathBuf;
use std::time::Duration;

use crew_hw::board::engine::BoardEngine;
use crew_spec::engine::{EngineInfo, LayerMisfit};
use crew_spec::image::DRAM_WORDS;
use crew_spec::package::PackageError;
use crew_spec::regmap::{self, ErrorCode};

pub use crate::transport::usb::UsbError;
pub use crate::transport::TransportError;

/// What kind of problem an error is; the CLI maps it to an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Running failed: the device, a transfer, a run, a bad run-time input (exit code 1).
    Runtime,
    /// The bitstream (file, manifest or the one on the board) is not one this host speaks
    /// (exit code 2).
    Bitstream,
    /// A model, description, package, build input or command line is wrong (exit code 2).
    Model,
    /// The environment: a file cannot be read or written, the FrontPanel library or USB is
    /// missing, a device cannot be opened (exit code 3).
    Environment,
}

/// Everything a library call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("checkpoint {}: {message}", path.display())]
    Checkpoint { path: PathBuf, message: String },
    #[error("checkpoint {}: tensor {name} is missing{}", path.display(), hint(available))]
    MissingTensor {
        path: PathBuf,
        name: String,
        available: Vec<String>,
    },
    /// A checkpoint without a layer at the top level, with PyTorch modules under prefixes.
    #[error(
        "checkpoint {}: no layer at the top level; it holds {}. Compile one with --layer \
         PREFIX, or all of them with a description (a .toml file next to the checkpoint, \
         docs/host-compiler.md) such as:\n{description}",
        path.display(),
        prefixes.join(", ")
    )]
    LayerPrefixes {
        path: PathBuf,
        prefixes: Vec<String>,
        description: String,
    },
    #[error("checkpoint {}: tensor {name} has shape {found:?}, expected {expected}", path.display())]
    TensorShape {
        path: PathBuf,
        name: String,
        found: Vec<usize>,
        expected: String,
    },
    #[error("checkpoint {}: tensor {name} element {index} is {value} (weights must be finite)", path.display())]
    NonFinite {
        path: PathBuf,
        name: String,
        index: usize,
        value: f32,
    },
    #[error("model description {}: {message}", path.display())]
    Description { path: PathBuf, message: String },
    #[error("package {}: {error}", path.display())]
    Package { path: PathBuf, error: PackageError },
    #[error("package {}: section model: {message}", path.display())]
    PackageModel { path: PathBuf, message: String },
    #[error("layer {layer}: {message}")]
    Compile { layer: String, message: String },
    /// A layer exceeds a limit of the engine configuration it is compiled for.
    #[error("{0}")]
    DoesNotFit(LayerMisfit),
    /// A run-time input file (`.npy`) that cannot be read.
    #[error("input {}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    /// The model, package or command line cannot do what was asked (no decoding section,
    /// an empty word, ...).
    #[error("{0}")]
    Usage(String),
    /// A run-time input does not fit the model (tensor shape, ...).
    #[error("{0}")]
    RunInput(String),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Bitstream(#[from] BitstreamError),
    #[error(transparent)]
    Usb(#[from] UsbError),
    #[error(transparent)]
    Bench(#[from] BenchError),
}

fn hint(available: &[String]) -> String {
    if available.is_empty() {
        String::new()
    } else {
        format!(" (it holds: {})", available.join(", "))
    }
}

impl Error {
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Io { .. } | Error::Usb(_) => ErrorClass::Environment,
            Error::Input { .. } => ErrorClass::Runtime,
            // A tensor that does not fit the model is a model/input problem (exit 2), as
            // the README says, not a device failure.
            Error::RunInput(_) => ErrorClass::Model,
            Error::Run(e) => e.class(),
            Error::Bitstream(e) => e.class(),
            Error::Bench(e) => e.class(),
            Error::Checkpoint { .. }
            | Error::MissingTensor { .. }
            | Error::LayerPrefixes { .. }
            | Error::TensorShape { .. }
            | Error::NonFinite { .. }
            | Error::Description { .. }
            | Error::Package { .. }
            | Error::PackageModel { .. }
            | Error::Compile { .. }
            | Error::DoesNotFit(_)
            | Error::Usage(_) => ErrorClass::Model,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The engine kinds of the register map, for messages: `1 (CREW), 2 (dense int8)`.
fn known_engine_kinds() -> String {
    let kinds: Vec<String> = regmap::ENGINE_KINDS
        .iter()
        .map(|(code, _, description)| format!("{code} ({description})"))
        .collect();
    kinds.join(", ")
}

/// "engine kind 2 (dense int8), expected 1 (CREW)", with lanes, accumulator depth and the
/// configuration's name when those differ.
fn wrong_engine(found: &EngineInfo, expected: &EngineInfo) -> String {
    let kind = |e: &EngineInfo| format!("{} ({})", e.kind, regmap::engine_kind_description(e.kind));
    if (found.lanes, found.acc_depth) == (expected.lanes, expected.acc_depth) {
        return format!("engine kind {}, expected {}", kind(found), kind(expected));
    }
    let full = |e: &EngineInfo| {
        let name = BoardEngine::from_info(*e).map_or(String::new(), |b| format!(" ({b})"));
        format!(
            "engine kind {} with {} lanes and accumulator depth {}{name}",
            kind(e),
            e.lanes,
            e.acc_depth
        )
    };
    format!("{}, expected {}", full(found), full(expected))
}

/// Running a package failed, on a device (board or simulated board, through the driver)
/// or on the integer reference. `on` says where: the transport's description or the
/// backend's name.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{on}: {error}")]
    Transport { on: String, error: TransportError },
    #[error("{on} does not run a CREW bitstream: design id {found:#06x}, expected {:#06x}; flash a CREW bitstream (crew-host flash bitstreams/<hash>.bit)", regmap::DESIGN_ID)]
    WrongDesign { on: String, found: u16 },
    #[error("{on} runs a CREW bitstream with protocol version {found}, this crew-host speaks version {}; flash a bitstream built for register map version {}", regmap::PROTOCOL_VERSION, regmap::PROTOCOL_VERSION)]
    WrongProtocol { on: String, found: u16 },
    #[error(
        "{on} runs {}; flash the matching bitstream",
        wrong_engine(found, expected)
    )]
    WrongEngine {
        on: String,
        found: EngineInfo,
        expected: EngineInfo,
    },
    #[error("{on} runs engine kind {found}, which this crew-host does not know (it knows {}); flash a bitstream of this version (crew-firmware generate --engine crew|dense)", known_engine_kinds())]
    UnknownEngine { on: String, found: u16 },
    #[error("{on}: the package cannot run on the {engine} engine: {message}")]
    PackageUnsuited {
        on: String,
        engine: &'static str,
        message: String,
    },
    #[error("{on}: DRAM calibration did not complete within {after:?}")]
    CalibrationPending { on: String, after: Duration },
    #[error("{on}: timed out after {after:?} (device time) waiting for {what}")]
    Timeout {
        on: String,
        what: String,
        after: Duration,
    },
    #[error("{on}: {what}: the pipe moved {moved} of {expected} bytes")]
    TruncatedTransfer {
        on: String,
        what: String,
        moved: usize,
        expected: usize,
    },
    #[error("{on}: {what}: engine/bridge error {code:?} ({})", code.describe())]
    Engine {
        on: String,
        what: String,
        code: ErrorCode,
    },
    #[error("{on}: {what}: unknown error code {code}")]
    UnknownErrorCode { on: String, what: String, code: u16 },
    #[error("{on}: image verification failed: {mismatched_words} of {words} words differ, first at word address {first_addr} (wrote {expected:#034x}, read {found:#034x}); the package is not loaded")]
    VerifyFailed {
        on: String,
        words: usize,
        mismatched_words: usize,
        first_addr: u64,
        expected: u128,
        found: u128,
    },
    #[error("{on}: no package loaded")]
    NotLoaded { on: String },
    #[error("{on}: layer {layer} does not exist (the package has {layers})")]
    NoSuchLayer {
        on: String,
        layer: usize,
        layers: usize,
    },
    #[error("{on}: layer {layer}: {message}")]
    BadRun {
        on: String,
        layer: usize,
        message: String,
    },
    #[error("{on}: the image does not decode: {message}")]
    BadImage { on: String, message: String },
    /// A sequence program that stopped before every input was finished: no input is
    /// reported.
    #[error("{on}: the sequence program stopped after {done} of {inputs} inputs: {error}")]
    ProgramStopped {
        on: String,
        done: usize,
        inputs: usize,
        error: Box<RunError>,
    },
    /// A queue of inputs a sequence program cannot take (before anything runs).
    #[error("{on}: sequence program input: {message}")]
    BadProgramInput { on: String, message: String },
    #[error(
        "{on}: {what} ends at word {end}, past the {} words of DRAM",
        DRAM_WORDS
    )]
    OutOfDram { on: String, what: String, end: u64 },
    /// A layer of the package exceeds a limit of the device's engine configuration
    /// (checked before anything is streamed).
    #[error("{on}: {misfit}")]
    DoesNotFit { on: String, misfit: LayerMisfit },
    /// The lockstep comparison found runs whose results differ from the reference.
    #[error("{on}: the device's results differ from the integer reference ({mismatched} of {runs} runs; first: {first})")]
    DiffersFromReference {
        on: String,
        runs: u64,
        mismatched: u64,
        first: String,
    },
}

impl RunError {
    pub fn class(&self) -> ErrorClass {
        match self {
            RunError::WrongDesign { .. }
            | RunError::WrongProtocol { .. }
            | RunError::WrongEngine { .. }
            | RunError::UnknownEngine { .. } => ErrorClass::Bitstream,
            RunError::PackageUnsuited { .. }
            | RunError::DoesNotFit { .. }
            | RunError::BadProgramInput { .. } => ErrorClass::Model,
            RunError::Transport {
                error: TransportError::LibraryMissing(_) | TransportError::Open { .. },
                ..
            } => ErrorClass::Environment,
            _ => ErrorClass::Runtime,
        }
    }
}

/// A bitstream file or its manifest (bitstreams/README.md) is unusable.
#[derive(Debug, thiserror::Error)]
pub enum BitstreamError {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{} has no manifest (expected {})", bit.display(), manifest.display())]
    NoManifest { bit: PathBuf, manifest: PathBuf },
    #[error("manifest {}: {message}", path.display())]
    BadManifest { path: PathBuf, message: String },
    #[error("{}: sha256 {found} differs from the manifest's {expected} (corrupted or replaced file)", bit.display())]
    Checksum {
        bit: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{}: {what} is {found}, this crew-host needs {expected}; use a bitstream built from this source tree", bit.display())]
    Incompatible {
        bit: PathBuf,
        what: &'static str,
        found: String,
        expected: String,
    },
    #[error("{} is built for {expected}, the board is a {found}", bit.display())]
    WrongBoard {
        bit: PathBuf,
        expected: String,
        found: String,
    },
}

impl BitstreamError {
    pub fn class(&self) -> ErrorClass {
        match self {
            BitstreamError::Io { .. } => ErrorClass::Environment,
            _ => ErrorClass::Bitstream,
        }
    }
}

/// Benchmark failures of its own (compiling g2p_en and the reference report [`Error`]s).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The driver failed on a benchmark engine's simulated board.
    #[error("{engine}: {doing}: {error}")]
    Device {
        engine: &'static str,
        doing: String,
        error: RunError,
    },
    /// A tool the Verilator backend needs is missing (rust-hdl's simulation, the
    /// simulated board's fallback, is far too slow for the bench).
    #[error("the benchmark runs the simulated boards on Verilator: {missing}")]
    NoVerilator {
        missing: crew_hw::sim::verilator::VerilatorError,
    },
    /// yosys cannot be started.
    #[error("cannot run yosys ({error}); install it (scripts/test.sh)")]
    SynthTool { error: std::io::Error },
    /// yosys ran and failed on an engine's Verilog; its whole output is in `log`.
    #[error("yosys synth_xilinx failed ({status}) on {}; log: {}", verilog.display(), log.display())]
    SynthFailed {
        status: String,
        verilog: PathBuf,
        log: PathBuf,
    },
    /// A file of the synthesis cache cannot be read or written.
    #[error("synthesis cache {}: {error}", path.display())]
    SynthCache {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A yosys `stat -json` report the bench cannot read.
    #[error("yosys stat report {}: {error}", path.display())]
    SynthStat { path: PathBuf, error: StatError },
}

/// What is wrong with a yosys `stat -json` report.
#[derive(Debug, thiserror::Error)]
pub enum StatError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no object design.num_cells_by_type")]
    NoCellCounts,
    #[error("the count of cell type {cell} is not a whole number: {value}")]
    BadCount { cell: String, value: String },
    /// A cell type the resource columns do not classify; counting it nowhere would
    /// understate the design.
    #[error("cell type {0} is not one the bench classifies (LUT1-6, LUT RAM or SRL, FD*/LD* flip-flop, DSP48E1, RAMB18E1, RAMB36E1, or the uncounted MUXF7/MUXF8/CARRY4/buffers)")]
    UnknownCell(String),
}

impl BenchError {
    pub fn class(&self) -> ErrorClass {
        match self {
            BenchError::NoVerilator { .. }
            | BenchError::SynthTool { .. }
            | BenchError::SynthCache { .. } => ErrorClass::Environment,
            // The engine's Verilog does not synthesize, or synthesizes to cells the bench
            // does not know: a build problem.
            BenchError::SynthFailed { .. } | BenchError::SynthStat { .. } => ErrorClass::Model,
            BenchError::Device { error, .. } => error.class(),
        }
    }
}
