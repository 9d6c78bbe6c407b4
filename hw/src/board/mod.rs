//! The board-level design and its simulation: the accelerator (host bridge and an engine,
//! wired once, as the bitstream holds it), the engine configurations of the board, and the
//! simulated XEM7010 that runs the accelerator at endpoint level.

pub mod accelerator;
pub mod engine;
pub mod sim_board;
