//! The simulated board's time: both clocks interleaved by their edges, the DDR3 model
//! clocked with the UI clock, the faults that count down in UI cycles, and the waits
//! built on them.

use super::{SimBoard, SimBoardError, TI_PERIOD_PS, UI_PERIOD_PS};
use crate::sim::ddr3_model::MigRequest;
use crew_spec::regmap;

impl SimBoard {
    /// Runs `n` UI clock cycles (ti_clk runs alongside).
    pub fn run_cycles(&mut self, n: u64) -> Result<(), SimBoardError> {
        self.run_ui_cycles(n)
    }

    /// Runs until `done(self)` holds, checking every UI cycle; returns the UI cycles taken.
    pub fn run_until<F: FnMut(&SimBoard) -> bool>(
        &mut self,
        max_ui_cycles: u64,
        mut done: F,
    ) -> Result<u64, SimBoardError> {
        let start = self.ui_cycles;
        while !done(self) {
            if self.ui_cycles - start >= max_ui_cycles {
                return Err(SimBoardError::Timeout { max_ui_cycles });
            }
            self.run_ui_cycles(1)?;
        }
        Ok(self.ui_cycles - start)
    }

    /// Runs until the DRAM reports calibration done.
    pub fn wait_calibrated(&mut self, max_ui_cycles: u64) -> Result<u64, SimBoardError> {
        self.run_until(max_ui_cycles, |b| b.ddr.response().calib_done)
    }

    /// Polls the trigger-out (as a host would, every `poll_ui_cycles`) until a bit of
    /// `mask` fires on `addr`; returns the UI cycles waited.
    pub fn wait_trigger_out(
        &mut self,
        addr: u8,
        mask: u16,
        max_ui_cycles: u64,
    ) -> Result<u64, SimBoardError> {
        let start = self.ui_cycles;
        loop {
            self.update_trigger_outs()?;
            if self.is_triggered(addr, mask)? {
                return Ok(self.ui_cycles - start);
            }
            if self.ui_cycles - start >= max_ui_cycles {
                return Err(SimBoardError::Timeout { max_ui_cycles });
            }
            self.run_ui_cycles(64)?;
        }
    }

    pub(super) fn settle(&mut self) -> Result<(), SimBoardError> {
        if self.circuit.settle() {
            Ok(())
        } else {
            Err(SimBoardError::NoConvergence {
                ui_cycle: self.ui_cycles,
            })
        }
    }

    /// The DDR3 model's outputs into the accelerator through the stall hook, seen before
    /// the next edge or (`at_next_ui_edge`) from the next UI edge on.
    pub(super) fn drive_dram_response(&mut self, at_next_ui_edge: bool) {
        let mut response = self.ddr.response();
        if self.dram_stall {
            response.ready = false;
            response.write_fifo_not_full = false;
        }
        if response != self.applied_response {
            self.circuit.set_mig_response(&response, at_next_ui_edge);
            self.applied_response = response;
            self.inputs_changed |= !at_next_ui_edge;
        }
    }

    /// One DDR3 model edge on the request the accelerator drives before the UI edge.
    fn clock_ddr(&mut self, mut request: MigRequest) {
        if self.dram_stall {
            request.enable = false;
            request.write_enable = false;
        }
        self.ddr.clock_edge(&request);
    }

    pub(super) fn run_ti_cycles(&mut self, n: u64) -> Result<(), SimBoardError> {
        let end = self.ti_cycles + n;
        while self.ti_cycles < end {
            self.step()?;
        }
        Ok(())
    }

    pub(super) fn run_ui_cycles(&mut self, n: u64) -> Result<(), SimBoardError> {
        let end = self.ui_cycles + n;
        while self.ui_cycles < end {
            self.step()?;
        }
        Ok(())
    }

    /// Advances to the next rising edge (of one clock or both). Inputs changed since the
    /// last edge settle before the edge, so registers sample them at this edge; the DDR3
    /// model clocks on the request as settled before the UI edge.
    fn step(&mut self) -> Result<(), SimBoardError> {
        let ui_edge = self.ui_next_ps <= self.ti_next_ps;
        let ti_edge = self.ti_next_ps <= self.ui_next_ps;
        // A clock that is high must fall before it can rise again. Changed inputs settle
        // before the edge; before a ti_clk-only edge a compiled model does that within
        // the edge's own evaluation (the DDR3 model samples nothing there), which saves
        // an evaluation per ti_clk edge while the DRAM answers every UI cycle.
        let settle_inputs =
            self.inputs_changed && (ui_edge || !self.circuit.propagates_inputs_before_edges());
        if settle_inputs || (ui_edge && self.ui_high) || (ti_edge && self.ti_high) {
            self.circuit.set_clocks(false, false);
            self.ui_high = false;
            self.ti_high = false;
            self.inputs_changed = false;
            self.settle()?;
        }
        if let Some(observer) = &mut self.edge_observer {
            if let Some(bridge) = self.circuit.rust_hdl_bridge() {
                observer(bridge, ui_edge, ti_edge);
            }
        }
        let request = ui_edge.then(|| self.circuit.mig_request());
        // Where the circuit latches the MIG response at the UI edge, the DDR3 model
        // clocks first and its new outputs go in with the edge; otherwise they are set
        // after it.
        let ddr_before_edge = self.circuit.latches_mig_response();
        if let (Some(request), true) = (request, ddr_before_edge) {
            self.clock_ddr(request);
            self.drive_dram_response(true);
        }
        self.circuit.set_clocks(ui_edge, ti_edge);
        self.ui_high = ui_edge;
        self.ti_high = ti_edge;
        self.inputs_changed = false;
        self.settle()?;
        self.circuit
            .trace_dump(self.ui_next_ps.min(self.ti_next_ps));
        if ti_edge {
            self.ti_cycles += 1;
            self.ti_next_ps += TI_PERIOD_PS;
        }
        if let Some(request) = request {
            if !ddr_before_edge {
                self.clock_ddr(request);
                self.drive_dram_response(false);
            }
            self.ui_cycles += 1;
            self.ui_next_ps += UI_PERIOD_PS;
            self.after_ui_edge();
        }
        Ok(())
    }

    fn after_ui_edge(&mut self) {
        self.trigger_accumulated |= self.circuit.trigger_out();
        if self.stall_left > 0 {
            self.stall_left -= 1;
            if self.stall_left == 0 {
                self.dram_stall = false;
                self.drive_dram_response(false);
            }
        }
        if let Some((wait, hold)) = self.reset_pulse {
            if wait > 0 {
                self.reset_pulse = Some((wait - 1, hold));
                if wait == 1 {
                    let control = self.wire_ins[regmap::WIRE_IN_CONTROL as usize];
                    self.circuit.set_wire_in(
                        regmap::WIRE_IN_CONTROL,
                        control | regmap::CONTROL_SOFT_RESET,
                    );
                    self.inputs_changed = true;
                }
            } else if hold > 1 {
                self.reset_pulse = Some((0, hold - 1));
            } else {
                self.reset_pulse = None;
                let control = self.wire_ins[regmap::WIRE_IN_CONTROL as usize];
                self.circuit.set_wire_in(regmap::WIRE_IN_CONTROL, control);
                self.inputs_changed = true;
            }
        }
    }
}
