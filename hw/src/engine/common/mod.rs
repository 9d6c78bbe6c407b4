//! The engine skeleton both engines share: `core` wires the blocks below around the
//! datapath port.

pub mod cell_unit;
pub mod core;
pub mod counters;
pub mod datapath_port;
pub mod descriptor_check;
pub mod epilogue;
pub mod issuer;
pub mod magnitude;
pub mod mig_arbiter;
pub mod program;
pub mod vector_buffers;
pub mod word_fifo;
