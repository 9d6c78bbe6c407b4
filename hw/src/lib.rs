//! Board-independent RTL of the CREW accelerator (rust-hdl) and its simulation models.

// `#[hdl_gen]` translates each block's `update()` into Verilog and understands plain
// `match` arms and `if`/`else` only: the guarded arms and merged conditions these lints
// ask for would not generate. Blocks keep the form that maps one to one onto Verilog.
#![allow(
    clippy::collapsible_match,
    clippy::collapsible_if,
    clippy::collapsible_else_if
)]

pub mod board;
pub mod bridge;
pub mod engine;
pub mod mig_port;
pub mod sim;
pub mod testbench;
