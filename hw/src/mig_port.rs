//! The MIG 7-series user-interface port, as the BSP's `MemoryInterfaceGenerator7Series`
//! exposes it (UI clock domain, ~100 MHz on the XEM7010). Masters (the engine, the host
//! bridge) drive [`MigMaster`]; the MIG (on the board) or the DDR3 model (in simulation)
//! sits on the [`MigSlave`] side.
//!
//! Protocol (Xilinx UG586): a command is accepted on a cycle with `enable && ready`;
//! `command` 0 = write, 1 = read. `address` is the MIG app_addr, i.e. the 128-bit word
//! address shifted left by `crew_spec::image::MIG_ADDR_SHIFT`. Write data is accepted on a
//! cycle with `write_enable && write_fifo_not_full` (`write_data_end` high, one beat per
//! command at 4:1 BL8); `write_data_mask` bit k set = byte k NOT written. Read data comes
//! back in command order with `read_data_valid` (and `read_data_end`).
//! All signals are in the UI clock domain.

use rust_hdl::prelude::*;

/// MIG command code: write.
pub const MIG_CMD_WRITE: u8 = 0;
/// MIG command code: read.
pub const MIG_CMD_READ: u8 = 1;

/// Master side of the MIG user interface (UI clock domain).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "MigSlave"]
pub struct MigMaster {
    pub address: Signal<Out, Bits<29>>,
    pub command: Signal<Out, Bits<3>>,
    pub enable: Signal<Out, Bit>,
    pub write_data_in: Signal<Out, Bits<128>>,
    pub write_data_end: Signal<Out, Bit>,
    pub write_data_mask: Signal<Out, Bits<16>>,
    pub write_enable: Signal<Out, Bit>,
    pub read_data_out: Signal<In, Bits<128>>,
    pub read_data_end: Signal<In, Bit>,
    pub read_data_valid: Signal<In, Bit>,
    pub ready: Signal<In, Bit>,
    pub write_fifo_not_full: Signal<In, Bit>,
    pub calib_done: Signal<In, Bit>,
}

/// Slave side of the MIG user interface (UI clock domain).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "MigMaster"]
pub struct MigSlave {
    pub address: Signal<In, Bits<29>>,
    pub command: Signal<In, Bits<3>>,
    pub enable: Signal<In, Bit>,
    pub write_data_in: Signal<In, Bits<128>>,
    pub write_data_end: Signal<In, Bit>,
    pub write_data_mask: Signal<In, Bits<16>>,
    pub write_enable: Signal<In, Bit>,
    pub read_data_out: Signal<Out, Bits<128>>,
    pub read_data_end: Signal<Out, Bit>,
    pub read_data_valid: Signal<Out, Bit>,
    pub ready: Signal<Out, Bit>,
    pub write_fifo_not_full: Signal<Out, Bit>,
    pub calib_done: Signal<Out, Bit>,
}
