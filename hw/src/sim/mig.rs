//! The MIG user interface of a Verilated design, looked up once by port name and moved
//! to and from the DDR3 model's [`MigRequest`] / [`MigResponse`]: shared by the compiled
//! board ([`crate::board::sim_board::circuit::VerilatorCircuit`]) and the compiled engine harness
//! ([`crate::sim::engine::VerilatedEngine`]).

use crate::sim::ddr3_model::{MigRequest, MigResponse};
use crate::sim::verilator::{PortIndex, VerilatedLibrary, VerilatedModel, VerilatorError};

/// A `MigMaster` port named `{prefix}$...` in the compiled design.
pub struct VerilatedMigMaster {
    /// address, command, enable, write_data_in, write_data_end, write_data_mask,
    /// write_enable.
    request: [PortIndex; 7],
    /// read_data_out, read_data_end, read_data_valid, ready, write_fifo_not_full,
    /// calib_done.
    response: [PortIndex; 6],
}

const REQUEST: [&str; 7] = [
    "address",
    "command",
    "enable",
    "write_data_in",
    "write_data_end",
    "write_data_mask",
    "write_enable",
];
const RESPONSE: [&str; 6] = [
    "read_data_out",
    "read_data_end",
    "read_data_valid",
    "ready",
    "write_fifo_not_full",
    "calib_done",
];

impl VerilatedMigMaster {
    pub fn look_up(library: &VerilatedLibrary, prefix: &str) -> Result<Self, VerilatorError> {
        let port = |name: &&str| library.port(&format!("{prefix}${name}"));
        let request: Vec<PortIndex> = REQUEST.iter().map(port).collect::<Result<_, _>>()?;
        let response: Vec<PortIndex> = RESPONSE.iter().map(port).collect::<Result<_, _>>()?;
        Ok(VerilatedMigMaster {
            request: request.try_into().expect("seven request ports"),
            response: response.try_into().expect("six response ports"),
        })
    }

    /// What the design drives on the port now.
    pub fn request(&self, m: &VerilatedModel) -> MigRequest {
        let r = &self.request;
        MigRequest {
            address: m.get(r[0]) as u32,
            command: m.get(r[1]) as u8,
            enable: m.get(r[2]) != 0,
            write_data: m.get(r[3]),
            write_data_end: m.get(r[4]) != 0,
            write_data_mask: m.get(r[5]) as u16,
            write_enable: m.get(r[6]) != 0,
        }
    }

    /// Drives the DDR3 model's outputs into the design (seen at the next eval).
    pub fn respond(&self, m: &mut VerilatedModel, d: &MigResponse) {
        let p = &self.response;
        m.set(p[0], d.read_data);
        m.set(p[1], d.read_data_end as u128);
        m.set(p[2], d.read_data_valid as u128);
        m.set(p[3], d.ready as u128);
        m.set(p[4], d.write_fifo_not_full as u128);
        m.set(p[5], d.calib_done as u128);
    }
}
