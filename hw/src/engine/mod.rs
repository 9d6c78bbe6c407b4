//! The accelerator engines and what they share.

pub mod port;
