//! The execution interface shared by every backend (integer reference, simulated board,
//! FrontPanel board): load a package's image, then run layers with the engine's run
//! semantics. Host-side loops (g2p decoding, tensor sequences) are written against
//! [`Accelerator`] only, so they run unchanged on any backend.
//!
//! Run semantics (the engine's, docs/engine.md "Dataflow and pipeline"): a run of layer
//! `l` takes `steps = inputs.len()` int8 input vectors of `n_in` elements.
//! - FC: returns one int32 vector of `N_out` accumulators (bias included) per step; the
//!   state is not used.
//! - GRU/LSTM: starts from `state` (h, and c for LSTM), returns h_t (int8, H) per step and
//!   leaves the final h (and c) in `state`.

pub mod lockstep;
pub mod program;
pub mod reference;

use crew_spec::image::LayerKind;

use crate::compiler::package::Package;
use crate::error::RunError;

/// Recurrent state of one GRU/LSTM layer: h (int8, scale 1/128) and, for LSTM, c (int32
/// Q.15). Empty for FC layers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayerState {
    pub h: Vec<i8>,
    pub c: Vec<i32>,
}

impl LayerState {
    /// Zero state for a layer of this kind and hidden size.
    pub fn zeros(kind: LayerKind, hidden: usize) -> LayerState {
        match kind {
            LayerKind::Fc => LayerState::default(),
            LayerKind::Gru => LayerState {
                h: vec![0; hidden],
                c: Vec::new(),
            },
            LayerKind::Lstm => LayerState {
                h: vec![0; hidden],
                c: vec![0; hidden],
            },
        }
    }
}

/// Per-step outputs of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutputs {
    /// GRU/LSTM: h_t per step.
    Hidden(Vec<Vec<i8>>),
    /// FC: int32 accumulators per step.
    Accumulators(Vec<Vec<i32>>),
}

/// The engine's performance counters for one run, as the engine contract declares them
/// (`crew_spec::engine::Counters`, on the wire-outs of `COUNTER_WIRES`).
pub type PerfCounters = crew_spec::engine::Counters<u32>;

/// Result of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutput {
    pub outputs: StepOutputs,
    /// Filled by backends that count (boards, simulator); `None` for the reference.
    pub counters: Option<PerfCounters>,
}

impl RunOutput {
    /// h_t per step, or `None` for FC runs.
    pub fn hidden(&self) -> Option<&[Vec<i8>]> {
        match &self.outputs {
            StepOutputs::Hidden(h) => Some(h),
            StepOutputs::Accumulators(_) => None,
        }
    }
    /// Accumulators per step, or `None` for recurrent runs.
    pub fn accumulators(&self) -> Option<&[Vec<i32>]> {
        match &self.outputs {
            StepOutputs::Accumulators(a) => Some(a),
            StepOutputs::Hidden(_) => None,
        }
    }
}

/// A backend that executes CREW packages.
pub trait Accelerator {
    /// Short name for messages ("reference", "sim", "board").
    fn name(&self) -> &str;

    /// Makes `package` the loaded one (e.g. writes its image to DRAM at its load address).
    fn load(&mut self, package: &Package) -> Result<(), RunError>;

    /// Runs layer `layer` (index into the package's layer table) over `inputs.len()` steps
    /// (1..=65535), each input `n_in` int8 values. See the module documentation.
    fn run(
        &mut self,
        layer: usize,
        inputs: &[Vec<i8>],
        state: &mut LayerState,
    ) -> Result<RunOutput, RunError>;

    /// Runs the loaded package's sequence program (`spec`, `crew_spec::program`) over a
    /// queue of inputs (source tokens, each ending with the end token) in one start, as a
    /// device does on chip; `None` when the backend has no on-chip programs (callers then
    /// run [`program::run_by_steps`], the same program as a host loop).
    fn run_program(
        &mut self,
        spec: &program::ProgramSpec,
        sources: &[Vec<u16>],
    ) -> Result<Option<program::ProgramOutput>, RunError> {
        let _ = (spec, sources);
        Ok(None)
    }

    /// Runs every layer of the loaded package in order over `inputs` (the first layer's
    /// input vectors, one per step), each from the zero state and each later layer on the
    /// one before's h, in one start as a device does it (a run list,
    /// `crew_spec::program`); `None` when the backend has no run lists (callers then run
    /// the layers one by one).
    fn run_stack(&mut self, inputs: &[Vec<i8>]) -> Result<Option<StackOutput>, RunError> {
        let _ = inputs;
        Ok(None)
    }
}

/// What a stack of layers run in one start returns: each layer's run (outputs, and its
/// final state for recurrent layers), and the counters of the whole start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackOutput {
    pub runs: Vec<(RunOutput, LayerState)>,
    pub counters: Option<PerfCounters>,
}

/// Checks a run request against a layer's shape; backends share it for uniform errors.
/// The tokens of a token-input layer's run are below its `tokens` (V); the engine stops
/// with `BadToken` otherwise.
pub fn check_tokens(
    backend: &str,
    layer: usize,
    tokens: usize,
    inputs: &[Vec<i8>],
) -> Result<(), RunError> {
    for (t, x) in inputs.iter().enumerate() {
        let token = u16::from_le_bytes([x[0] as u8, x[1] as u8]) as usize;
        if token >= tokens {
            return Err(RunError::BadRun {
                on: backend.into(),
                layer,
                message: format!("input {t} is token {token}, the layer has {tokens} tokens"),
            });
        }
    }
    Ok(())
}

pub fn check_run(
    backend: &str,
    layer: usize,
    kind: LayerKind,
    n_in: usize,
    n_hidden: usize,
    inputs: &[Vec<i8>],
    state: &LayerState,
) -> Result<(), RunError> {
    let bad = |message: String| RunError::BadRun {
        on: backend.into(),
        layer,
        message,
    };
    if inputs.is_empty() || inputs.len() > u16::MAX as usize {
        return Err(bad(format!(
            "{} steps; a run takes 1..=65535 steps",
            inputs.len()
        )));
    }
    if let Some((t, x)) = inputs.iter().enumerate().find(|(_, x)| x.len() != n_in) {
        return Err(bad(format!(
            "input {t} has {} elements, the layer takes {n_in}",
            x.len()
        )));
    }
    let (h, c) = match kind {
        LayerKind::Fc => (0, 0),
        LayerKind::Gru => (n_hidden, 0),
        LayerKind::Lstm => (n_hidden, n_hidden),
    };
    if kind != LayerKind::Fc && (state.h.len() != h || state.c.len() != c) {
        return Err(bad(format!(
            "state has h {} and c {} elements, expected {h} and {c}",
            state.h.len(),
            state.c.len()
        )));
    }
    Ok(())
}
