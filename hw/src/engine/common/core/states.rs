//! The states of the core's sequencer and router, and the layer flags an engine accepts.

use rust_hdl::prelude::*;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum MainState {
    Idle,
    Desc,
    Check,
    Run,
    Finish,
    Drain,
}

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum RouteState {
    Idle,
    Desc,
    StateH,
    StateC,
    X,
    Records,
    EpiWait,
    Epi,
    EpiDrain,
    End,
}

/// The layer flags (descriptor header byte 1) an engine accepts: `flags & mask == value`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LayoutFlags {
    pub mask: u8,
    pub value: u8,
}
