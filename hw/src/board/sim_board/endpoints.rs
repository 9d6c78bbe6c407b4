//! The simulated board's FrontPanel-like calls (see the module documentation of
//! [`super`]): wire-ins buffered and applied at once, wire-outs captured, trigger pulses
//! and latched events, block pipes moved block by block after ready.

use super::{SimBoard, SimBoardError, HOST_CALL_TI_CYCLES, MAX_BLOCK_BYTES};
use crate::bridge::endpoints::WIRE_INS;
use crew_spec::regmap::{self, EndpointKind};

impl SimBoard {
    /// Buffers a wire-in value; it reaches the design at [`SimBoard::update_wire_ins`].
    pub fn set_wire_in(&mut self, addr: u8, value: u16) -> Result<(), SimBoardError> {
        check_range(addr, EndpointKind::WireIn)?;
        self.wire_ins[addr as usize] = value;
        Ok(())
    }

    /// Applies all buffered wire-in values at once.
    pub fn update_wire_ins(&mut self) -> Result<(), SimBoardError> {
        let held_reset = self.reset_pulse.is_some_and(|(wait, _)| wait == 0);
        for &(addr, _) in WIRE_INS {
            let mut value = self.wire_ins[addr as usize];
            if addr == regmap::WIRE_IN_CONTROL && held_reset {
                value |= regmap::CONTROL_SOFT_RESET;
            }
            self.circuit.set_wire_in(addr, value);
        }
        self.inputs_changed = true;
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)
    }

    /// Captures all wire-out values at once.
    pub fn update_wire_outs(&mut self) -> Result<(), SimBoardError> {
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)?;
        for (k, value) in self.wire_outs.iter_mut().enumerate() {
            *value = self.circuit.wire_out(0x20 + k as u8);
        }
        Ok(())
    }

    /// A wire-out value as captured by the last [`SimBoard::update_wire_outs`] (0 for an
    /// address the design does not drive).
    pub fn get_wire_out(&self, addr: u8) -> Result<u16, SimBoardError> {
        check_range(addr, EndpointKind::WireOut)?;
        Ok(self.wire_outs[(addr - 0x20) as usize])
    }

    /// Pulses bit `bit` of trigger-in `addr` for one UI clock cycle.
    pub fn activate_trigger_in(&mut self, addr: u8, bit: u8) -> Result<(), SimBoardError> {
        check_range(addr, EndpointKind::TriggerIn)?;
        if bit >= 16 {
            return Err(SimBoardError::InvalidEndpoint {
                addr,
                kind: EndpointKind::TriggerIn,
            });
        }
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)?;
        if addr == regmap::TRIGGER_IN_COMMAND {
            self.circuit.set_trigger_in(1 << bit);
            self.inputs_changed = true;
            self.run_ui_cycles(1)?;
            self.circuit.set_trigger_in(0);
            self.inputs_changed = true;
        }
        Ok(())
    }

    /// Latches the trigger-out events seen since the previous call.
    pub fn update_trigger_outs(&mut self) -> Result<(), SimBoardError> {
        self.run_ti_cycles(HOST_CALL_TI_CYCLES)?;
        self.trigger_latched = self.trigger_accumulated;
        self.trigger_accumulated = 0;
        Ok(())
    }

    /// Whether any bit of `mask` fired on trigger-out `addr` before the last
    /// [`SimBoard::update_trigger_outs`].
    pub fn is_triggered(&self, addr: u8, mask: u16) -> Result<bool, SimBoardError> {
        check_range(addr, EndpointKind::TriggerOut)?;
        Ok(addr == regmap::TRIGGER_OUT_EVENTS && self.trigger_latched & mask != 0)
    }

    /// Writes `data` to the block-throttled pipe-in `addr` in `block_size`-byte blocks;
    /// returns the bytes moved (less than `data.len()` when ready stayed low past the
    /// pipe timeout or a [`Fault::CutPipeTransfer`] applied).
    pub fn write_to_block_pipe_in(
        &mut self,
        addr: u8,
        block_size: usize,
        data: &[u8],
    ) -> Result<usize, SimBoardError> {
        if addr != regmap::PIPE_IN_DRAM {
            return Err(SimBoardError::InvalidEndpoint {
                addr,
                kind: EndpointKind::PipeIn,
            });
        }
        check_blocks(block_size, data.len())?;
        let limit = self.take_cut(data.len());
        let mut moved = 0;
        for block in data.chunks(block_size) {
            if moved >= limit || !self.wait_pipe_ready(true)? {
                break;
            }
            // ep_blockstrobe cycle.
            self.run_ti_cycles(1)?;
            for word in block.chunks(2) {
                if moved >= limit {
                    break;
                }
                self.circuit
                    .set_pipe_in(true, u16::from_le_bytes([word[0], word[1]]));
                self.inputs_changed = true;
                self.run_ti_cycles(1)?;
                moved += 2;
            }
            self.circuit.set_pipe_in(false, 0);
            self.inputs_changed = true;
            self.run_ti_cycles(1)?;
        }
        Ok(moved)
    }

    /// Reads `buf.len()` bytes from the block-throttled pipe-out `addr` in
    /// `block_size`-byte blocks; returns the bytes moved (see
    /// [`SimBoard::write_to_block_pipe_in`]).
    pub fn read_from_block_pipe_out(
        &mut self,
        addr: u8,
        block_size: usize,
        buf: &mut [u8],
    ) -> Result<usize, SimBoardError> {
        if addr != regmap::PIPE_OUT_DRAM {
            return Err(SimBoardError::InvalidEndpoint {
                addr,
                kind: EndpointKind::PipeOut,
            });
        }
        check_blocks(block_size, buf.len())?;
        let limit = self.take_cut(buf.len());
        let mut moved = 0;
        for block in buf.chunks_mut(block_size) {
            if moved >= limit || !self.wait_pipe_ready(false)? {
                break;
            }
            self.run_ti_cycles(1)?;
            for word in block.chunks_mut(2) {
                if moved >= limit {
                    break;
                }
                self.circuit.set_pipe_out_read(true);
                self.inputs_changed = true;
                self.run_ti_cycles(1)?;
                let v = self.circuit.pipe_out_data();
                word.copy_from_slice(&v.to_le_bytes());
                moved += 2;
            }
            self.circuit.set_pipe_out_read(false);
            self.inputs_changed = true;
            self.run_ti_cycles(1)?;
        }
        Ok(moved)
    }

    fn take_cut(&mut self, len: usize) -> usize {
        match self.cut_after_bytes.take() {
            Some(n) => n.min(len) & !1,
            None => len,
        }
    }

    /// Waits (in ti_clk cycles) for the pipe's ready; false after the pipe timeout.
    fn wait_pipe_ready(&mut self, pipe_in: bool) -> Result<bool, SimBoardError> {
        let mut waited = 0;
        loop {
            let ready = if pipe_in {
                self.circuit.pipe_in_ready()
            } else {
                self.circuit.pipe_out_ready()
            };
            if ready {
                return Ok(true);
            }
            if waited >= self.config.pipe_timeout_ti_cycles {
                return Ok(false);
            }
            self.run_ti_cycles(1)?;
            waited += 1;
        }
    }
}

pub(super) fn check_range(addr: u8, kind: EndpointKind) -> Result<(), SimBoardError> {
    if kind.range().contains(&addr) {
        Ok(())
    } else {
        Err(SimBoardError::InvalidEndpoint { addr, kind })
    }
}

fn check_blocks(block_size: usize, len: usize) -> Result<(), SimBoardError> {
    if !(2..=MAX_BLOCK_BYTES).contains(&block_size) || !block_size.is_multiple_of(2) {
        return Err(SimBoardError::InvalidBlockSize { block_size });
    }
    if !len.is_multiple_of(block_size) {
        return Err(SimBoardError::InvalidTransferLength { len, block_size });
    }
    Ok(())
}
