//! crew-host: the host side of the CREW accelerator stack.
//!
//! - [`checkpoint`] / [`model`]: import NumPy `.npz` / `.safetensors` checkpoints, PyTorch
//!   naming or a TOML model description, into a float [`model::Model`].
//! - [`quant`] / [`crew`] / [`compiler`]: int8 quantization, the CREW transform and the
//!   DRAM image, into a [`package::Package`] (`.crew` file, container in
//!   `crew_spec::package`).
//! - [`accel`]: the [`accel::Accelerator`] trait every backend implements;
//!   [`reference::Reference`] is the bit-exact integer reference.
//! - [`runner`]: host-side loops (g2p decoding, tensor sequences) over any backend, and
//!   the float model's counterparts ([`float`]).
//! - [`inspect`]: per-pass CREW statistics.
//! - [`dense`] / [`bench`]: the dense int8 baseline image and the CREW-vs-dense benchmark
//!   (both engines' RTL simulated from `crew-hw`).
//!
//! The library never prints; it returns [`error::Error`] and reports progress through
//! callbacks.

pub mod accel;
pub mod bench;
pub mod bitstream;
pub mod checkpoint;
pub mod compiler;
pub mod crew;
pub mod dense;
pub mod device;
pub mod error;
pub mod float;
pub mod inspect;
pub mod lockstep;
pub mod model;
pub mod package;
pub mod quant;
pub mod reference;
pub mod runner;
pub mod transport;
pub mod usb;

pub use accel::{AccelError, Accelerator, LayerState, PerfCounters, RunOutput, StepOutputs};
pub use error::{Error, ErrorClass, Result};
pub use package::Package;
