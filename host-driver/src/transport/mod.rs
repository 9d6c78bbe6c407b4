//! The FrontPanel primitives the driver needs, behind one trait, so the same driver code
//! talks to a real XEM7010 ([`board::BoardTransport`], FrontPanel over USB) or to the
//! simulated board ([`sim::SimTransport`], `crew_hw::board::sim_board::SimBoard`).
//!
//! Semantics follow FrontPanel: wire-ins are buffered until [`Transport::update_wire_ins`],
//! wire-outs are captured by [`Transport::update_wire_outs`], trigger-out events are
//! latched by [`Transport::update_trigger_outs`]. Block pipes return the number of bytes
//! actually moved; the driver treats fewer bytes than asked for as a truncated transfer.
//!
//! Time: every transport has a device clock ([`Transport::device_time`]): wall time for a
//! board, simulated time for the simulator. Deadlines are measured on it, so a slow
//! simulation is not mistaken for a hung board, and a hung simulation still ends.

pub mod board;
pub mod sim;
pub mod usb;

use std::time::Duration;

use rust_hdl_ok_frontpanel_sys::FrontPanelError;

/// What went wrong in a transport call.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The FrontPanel library could not be loaded (an environment problem).
    #[error("{0}")]
    LibraryMissing(FrontPanelError),
    /// No board with the requested serial (or none at all) is attached.
    #[error("no FrontPanel device {}", match serial { Some(s) => format!("with serial {s} is attached (attached: {})", if attached.is_empty() { "none".to_string() } else { attached.join(", ") }), None => "is attached".to_string() })]
    NoDevice {
        serial: Option<String>,
        attached: Vec<String>,
    },
    /// Several boards are attached and none was chosen.
    #[error("{} FrontPanel devices are attached ({}); choose one with --serial or CREW_SERIAL", serials.len(), serials.join(", "))]
    SeveralDevices { serials: Vec<String> },
    /// The device exists but could not be opened (permissions, claimed by another
    /// process).
    #[error("cannot open FrontPanel device {serial}: {error}")]
    Open {
        serial: String,
        error: FrontPanelError,
    },
    /// A FrontPanel call failed.
    #[error(transparent)]
    FrontPanel(#[from] FrontPanelError),
    /// The simulated board reported an error.
    #[error("simulated board: {0}")]
    Sim(#[from] crew_hw::board::sim_board::SimBoardError),
    /// A call's arguments are not what the endpoint takes.
    #[error("{0}")]
    InvalidArgument(String),
}

/// The FrontPanel endpoint operations (see the module documentation).
pub trait Transport {
    /// What this transport talks to, for messages ("XEM7010-A50 serial 1234ABCD", "sim").
    fn describe(&self) -> String;

    fn set_wire_in(&mut self, addr: u8, value: u16) -> Result<(), TransportError>;
    fn update_wire_ins(&mut self) -> Result<(), TransportError>;
    fn update_wire_outs(&mut self) -> Result<(), TransportError>;
    /// A wire-out value as of the last [`Transport::update_wire_outs`].
    fn get_wire_out(&mut self, addr: u8) -> Result<u16, TransportError>;
    fn activate_trigger_in(&mut self, addr: u8, bit: u8) -> Result<(), TransportError>;
    fn update_trigger_outs(&mut self) -> Result<(), TransportError>;
    /// Whether a bit of `mask` fired on `addr` before the last
    /// [`Transport::update_trigger_outs`].
    fn is_triggered(&mut self, addr: u8, mask: u16) -> Result<bool, TransportError>;
    /// Writes whole `block_size` blocks; returns the bytes moved.
    fn write_to_block_pipe_in(
        &mut self,
        addr: u8,
        block_size: usize,
        data: &[u8],
    ) -> Result<usize, TransportError>;
    /// Reads whole `block_size` blocks; returns the bytes moved.
    fn read_from_block_pipe_out(
        &mut self,
        addr: u8,
        block_size: usize,
        buf: &mut [u8],
    ) -> Result<usize, TransportError>;

    /// Time on the device's clock since the transport was made.
    fn device_time(&self) -> Duration;
    /// Lets about `d` of device time pass (between polls).
    fn pause(&mut self, d: Duration) -> Result<(), TransportError>;
    /// A simulated board's progress (for progress reports); `None` for a board.
    fn simulation(&self) -> Option<Simulation> {
        None
    }
}

/// How far a simulated board has got, and on which simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simulation {
    /// UI clock cycles (100 MHz) simulated so far.
    pub ui_cycles: u64,
    /// The board runs on rust-hdl's own simulation (about 100 times slower than
    /// Verilator): long commands should report progress.
    pub slow: bool,
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn set_wire_in(&mut self, addr: u8, value: u16) -> Result<(), TransportError> {
        (**self).set_wire_in(addr, value)
    }
    fn update_wire_ins(&mut self) -> Result<(), TransportError> {
        (**self).update_wire_ins()
    }
    fn update_wire_outs(&mut self) -> Result<(), TransportError> {
        (**self).update_wire_outs()
    }
    fn get_wire_out(&mut self, addr: u8) -> Result<u16, TransportError> {
        (**self).get_wire_out(addr)
    }
    fn activate_trigger_in(&mut self, addr: u8, bit: u8) -> Result<(), TransportError> {
        (**self).activate_trigger_in(addr, bit)
    }
    fn update_trigger_outs(&mut self) -> Result<(), TransportError> {
        (**self).update_trigger_outs()
    }
    fn is_triggered(&mut self, addr: u8, mask: u16) -> Result<bool, TransportError> {
        (**self).is_triggered(addr, mask)
    }
    fn write_to_block_pipe_in(
        &mut self,
        addr: u8,
        block_size: usize,
        data: &[u8],
    ) -> Result<usize, TransportError> {
        (**self).write_to_block_pipe_in(addr, block_size, data)
    }
    fn read_from_block_pipe_out(
        &mut self,
        addr: u8,
        block_size: usize,
        buf: &mut [u8],
    ) -> Result<usize, TransportError> {
        (**self).read_from_block_pipe_out(addr, block_size, buf)
    }
    fn device_time(&self) -> Duration {
        (**self).device_time()
    }
    fn pause(&mut self, d: Duration) -> Result<(), TransportError> {
        (**self).pause(d)
    }
    fn simulation(&self) -> Option<Simulation> {
        (**self).simulation()
    }
}
