//! crew-host: the host side of the CREW accelerator stack. The folders follow the data:
//!
//! - [`model`]: import. NumPy `.npz` / `.safetensors` checkpoints ([`model::checkpoint`]),
//!   PyTorch naming or a TOML model description, into a float [`model::Model`]; its float
//!   forward pass ([`model::float`]).
//! - [`compiler`]: int8 quantization ([`compiler::quant`]), the CREW transform and its column
//!   records ([`compiler::crew`]), the DRAM image, into a [`compiler::package::Package`]
//!   (`.crew` file, container in `crew_spec::package`); the dense baseline image
//!   ([`compiler::dense`]) and per-pass statistics ([`compiler::inspect`]).
//! - [`backend`]: the [`backend::Accelerator`] trait every backend implements, the
//!   bit-exact integer reference ([`backend::reference`]) and the lockstep comparison
//!   ([`backend::lockstep`]).
//! - [`device`]: the driver of a board or simulated board (identity check, image streamed
//!   to DRAM and verified, runs), and bitstream manifests ([`device::bitstream`]).
//! - [`transport`]: the FrontPanel primitives: real board, simulated board, USB enumeration.
//! - [`runner`]: host-side loops (g2p decoding, tensor sequences) over any backend and over
//!   the float model.
//! - [`bench`]: the CREW-vs-dense benchmark (both engines' RTL simulated from `crew-hw`).
//!
//! The library never prints; it returns [`error::Error`] and reports progress through
//! callbacks.

pub mod backend;
pub mod bench;
pub mod compiler;
pub mod device;
pub mod error;
pub mod model;
pub mod runner;
pub mod transport;

/// The lockstep comparison at its former path: tests/hil.rs (maintained with the
/// FrontPanel stand-in) imports `crew_host::lockstep`.
pub use backend::lockstep;
pub use backend::{Accelerator, LayerState, PerfCounters, RunOutput, StepOutputs};
pub use compiler::package::Package;
pub use error::{Error, ErrorClass, Result, RunError};
