//! Board-independent RTL of the CREW accelerator (rust-hdl) and its simulation models.

pub mod mig_port;
