//! Endpoint-level steps of the tests that drive the simulated board directly.

use crew_hw::board::sim_board::SimBoard;
use crew_spec::regmap;

/// A 32-bit value on a pair of wire-ins (not yet sent).
pub fn set_u32(b: &mut SimBoard, lo: u8, hi: u8, v: u32) {
    b.set_wire_in(lo, v as u16).unwrap();
    b.set_wire_in(hi, (v >> 16) as u16).unwrap();
}

/// Arms a DRAM transfer of `words` words at word address `addr`: address and length on
/// the wire-ins, earlier events dropped, then the command trigger.
pub fn arm(b: &mut SimBoard, trigger: u8, addr: u32, words: u32) {
    set_u32(
        b,
        regmap::WIRE_IN_XFER_ADDR_LO,
        regmap::WIRE_IN_XFER_ADDR_HI,
        addr,
    );
    set_u32(
        b,
        regmap::WIRE_IN_XFER_WORDS_LO,
        regmap::WIRE_IN_XFER_WORDS_HI,
        words,
    );
    b.update_wire_ins().unwrap();
    b.update_trigger_outs().unwrap();
    b.activate_trigger_in(regmap::TRIGGER_IN_COMMAND, trigger)
        .unwrap();
}
