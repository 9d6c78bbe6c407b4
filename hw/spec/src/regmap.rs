//! FrontPanel register map of the CREW bitstream: endpoint addresses, bit fields, error
//! codes, design id and protocol version. The firmware instantiates its endpoints from these
//! constants and the driver addresses them from the same constants.
//!
//! All endpoints are 16 bits wide (USB 2.0 FrontPanel). 32-bit values take two consecutive
//! wires, low half first (`*_LO` at the lower address).

/// Identifies a CREW bitstream; readable on [`WIRE_OUT_DESIGN_ID`].
pub const DESIGN_ID: u16 = 0xC4E7;
/// Version of this register map and of the run protocol; readable on
/// [`WIRE_OUT_PROTOCOL_VERSION`]. The driver refuses a bitstream with another value.
pub const PROTOCOL_VERSION: u16 = 1;

/// Engine variant, readable on [`WIRE_OUT_ENGINE_KIND`].
pub const ENGINE_KIND_CREW: u16 = 1;
/// Dense int8 (TPU-like) baseline engine.
pub const ENGINE_KIND_DENSE: u16 = 2;
/// Every engine kind: its code, its name in bitstream manifests, its name in messages.
pub const ENGINE_KINDS: [(u16, &str, &str); 2] = [
    (ENGINE_KIND_CREW, "crew", "CREW"),
    (ENGINE_KIND_DENSE, "dense", "dense int8"),
];

/// The manifest name of an engine kind ("crew", "dense"), `None` for unknown codes.
pub fn engine_kind_name(code: u16) -> Option<&'static str> {
    ENGINE_KINDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, _)| *name)
}

/// An engine kind for messages ("CREW", "dense int8", "unknown").
pub fn engine_kind_description(code: u16) -> &'static str {
    ENGINE_KINDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("unknown", |(_, _, description)| *description)
}

/// Board model the bitstreams target, as FrontPanel's `GetBoardModelString` names it.
pub const BOARD_MODEL: &str = "XEM7010-A50";

// ---- WireIn (0x00-0x1F), ti_clk domain on the board ----
/// Control bits, see `CONTROL_*`.
pub const WIRE_IN_CONTROL: u8 = 0x00;
/// DRAM word address (128-bit words) of the next pipe transfer, low/high half.
pub const WIRE_IN_XFER_ADDR_LO: u8 = 0x01;
pub const WIRE_IN_XFER_ADDR_HI: u8 = 0x02;
/// Length of the next pipe transfer in 128-bit words, low/high half.
pub const WIRE_IN_XFER_WORDS_LO: u8 = 0x03;
pub const WIRE_IN_XFER_WORDS_HI: u8 = 0x04;
/// Run command: layer descriptor word address.
pub const WIRE_IN_DESC_ADDR_LO: u8 = 0x05;
pub const WIRE_IN_DESC_ADDR_HI: u8 = 0x06;
/// Run command: word address of the step inputs.
pub const WIRE_IN_IN_ADDR_LO: u8 = 0x07;
pub const WIRE_IN_IN_ADDR_HI: u8 = 0x08;
/// Run command: word address of the step outputs.
pub const WIRE_IN_OUT_ADDR_LO: u8 = 0x09;
pub const WIRE_IN_OUT_ADDR_HI: u8 = 0x0A;
/// Run command: word address of the recurrent state (h, then c for LSTM).
pub const WIRE_IN_STATE_ADDR_LO: u8 = 0x0B;
pub const WIRE_IN_STATE_ADDR_HI: u8 = 0x0C;
/// Run command: number of steps (input vectors) to run, 1..=65535.
pub const WIRE_IN_STEPS: u8 = 0x0D;

/// `WIRE_IN_CONTROL` bit: hold the bridge and the engine in reset while set.
pub const CONTROL_SOFT_RESET: u16 = 1 << 0;

// ---- WireOut (0x20-0x3F) ----
pub const WIRE_OUT_DESIGN_ID: u8 = 0x20;
pub const WIRE_OUT_PROTOCOL_VERSION: u8 = 0x21;
/// Status bits, see `STATUS_*`.
pub const WIRE_OUT_STATUS: u8 = 0x22;
/// Last error, see [`ErrorCode`]; cleared by the next accepted command.
pub const WIRE_OUT_ERROR_CODE: u8 = 0x23;
/// Performance counters of the last run (32 bits each, lo/hi), cleared at each run start.
pub const WIRE_OUT_CYCLES_LO: u8 = 0x24;
pub const WIRE_OUT_CYCLES_HI: u8 = 0x25;
pub const WIRE_OUT_BUSY_CYCLES_LO: u8 = 0x26;
pub const WIRE_OUT_BUSY_CYCLES_HI: u8 = 0x27;
pub const WIRE_OUT_STALL_CYCLES_LO: u8 = 0x28;
pub const WIRE_OUT_STALL_CYCLES_HI: u8 = 0x29;
pub const WIRE_OUT_DRAM_WORDS_LO: u8 = 0x2A;
pub const WIRE_OUT_DRAM_WORDS_HI: u8 = 0x2B;
pub const WIRE_OUT_MULTS_LO: u8 = 0x2C;
pub const WIRE_OUT_MULTS_HI: u8 = 0x2D;
pub const WIRE_OUT_ADDS_LO: u8 = 0x2E;
pub const WIRE_OUT_ADDS_HI: u8 = 0x2F;
/// Words moved by the current or last pipe transfer (lo/hi).
pub const WIRE_OUT_XFER_DONE_WORDS_LO: u8 = 0x30;
pub const WIRE_OUT_XFER_DONE_WORDS_HI: u8 = 0x31;
/// Engine kind ([`ENGINE_KIND_CREW`] or [`ENGINE_KIND_DENSE`]).
pub const WIRE_OUT_ENGINE_KIND: u8 = 0x32;
/// Number of gather-add (or MAC) lanes.
pub const WIRE_OUT_LANES: u8 = 0x33;
/// Accumulator depth: the largest N_out of one pass.
pub const WIRE_OUT_ACC_DEPTH: u8 = 0x34;

/// `WIRE_OUT_STATUS` bits.
pub const STATUS_CALIB_DONE: u16 = 1 << 0;
pub const STATUS_ENGINE_BUSY: u16 = 1 << 1;
pub const STATUS_RUN_DONE: u16 = 1 << 2;
pub const STATUS_ERROR: u16 = 1 << 3;
pub const STATUS_XFER_BUSY: u16 = 1 << 4;

// ---- TriggerIn (0x40-0x5F), one endpoint, bits below ----
pub const TRIGGER_IN_COMMAND: u8 = 0x40;
/// Start a run with the run-command wires.
pub const TRIG_START_RUN: u8 = 0;
/// Abort the current run or transfer (error code `Aborted`).
pub const TRIG_ABORT: u8 = 1;
/// Arm a DRAM write: the next `XFER_WORDS` words from the pipe-in go to `XFER_ADDR`.
pub const TRIG_START_DRAM_WRITE: u8 = 2;
/// Arm a DRAM read: `XFER_WORDS` words from `XFER_ADDR` become readable on the pipe-out.
pub const TRIG_START_DRAM_READ: u8 = 3;

// ---- TriggerOut (0x60-0x7F) ----
pub const TRIGGER_OUT_EVENTS: u8 = 0x60;
pub const TRIG_OUT_RUN_DONE: u8 = 0;
pub const TRIG_OUT_XFER_DONE: u8 = 1;
pub const TRIG_OUT_ERROR: u8 = 2;

// ---- Block-throttled pipes ----
/// DRAM write data (host to board).
pub const PIPE_IN_DRAM: u8 = 0x80;
/// DRAM read data (board to host).
pub const PIPE_OUT_DRAM: u8 = 0xA0;
/// Block size of both block-throttled pipes, bytes. Transfers are whole blocks; a DRAM
/// word is 16 bytes, so a transfer of `n` words is padded by the driver to whole blocks
/// only on reads (the bridge stops after `XFER_WORDS` on writes and rejects extra data).
pub const PIPE_BLOCK_BYTES: usize = 512;
/// Pipe data order: a 128-bit DRAM word travels as eight 16-bit pipe words, least
/// significant first; each 16-bit pipe word is two bytes, little-endian. So the byte
/// stream equals the DRAM image bytes in order.
pub const PIPE_WORDS_PER_DRAM_WORD: usize = 8;

/// Error codes on `WIRE_OUT_ERROR_CODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ErrorCode {
    None = 0,
    /// The layer descriptor's magic or kind is wrong.
    BadDescriptor = 1,
    /// A pass has more outputs than the accumulators hold, or more inputs than the input
    /// buffer holds.
    ShapeTooLarge = 2,
    /// A DRAM address or transfer runs past the end of DRAM.
    AddressOutOfRange = 3,
    /// A transfer length of zero words, or a pipe transfer that is not whole words.
    BadTransferLength = 4,
    /// A column record header is invalid (b_i > 8, or u_i > 2^b_i).
    BadRecord = 5,
    /// Stopped by `TRIG_ABORT` or a soft reset.
    Aborted = 6,
    /// A pipe transfer ended before (or ran past) the armed word count.
    TransferIncomplete = 7,
    /// DRAM calibration has not completed.
    CalibrationPending = 8,
    /// A command arrived while the engine or a transfer was busy.
    Busy = 9,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::None,
        ErrorCode::BadDescriptor,
        ErrorCode::ShapeTooLarge,
        ErrorCode::AddressOutOfRange,
        ErrorCode::BadTransferLength,
        ErrorCode::BadRecord,
        ErrorCode::Aborted,
        ErrorCode::TransferIncomplete,
        ErrorCode::CalibrationPending,
        ErrorCode::Busy,
    ];

    pub fn from_u16(v: u16) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| *c as u16 == v)
    }

    pub fn describe(self) -> &'static str {
        match self {
            ErrorCode::None => "no error",
            ErrorCode::BadDescriptor => "layer descriptor has a bad magic or kind",
            ErrorCode::ShapeTooLarge => "layer shape exceeds the engine's buffers",
            ErrorCode::AddressOutOfRange => "DRAM address out of range",
            ErrorCode::BadTransferLength => "transfer length is zero or not whole 128-bit words",
            ErrorCode::BadRecord => "column record header is invalid",
            ErrorCode::Aborted => "aborted",
            ErrorCode::TransferIncomplete => "pipe transfer cut short",
            ErrorCode::CalibrationPending => "DRAM calibration not done",
            ErrorCode::Busy => "command while busy",
        }
    }
}

/// Kind of a FrontPanel endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    WireIn,
    WireOut,
    TriggerIn,
    TriggerOut,
    PipeIn,
    PipeOut,
}

impl EndpointKind {
    /// The address range FrontPanel reserves for this kind.
    pub fn range(self) -> std::ops::RangeInclusive<u8> {
        match self {
            EndpointKind::WireIn => 0x00..=0x1F,
            EndpointKind::WireOut => 0x20..=0x3F,
            EndpointKind::TriggerIn => 0x40..=0x5F,
            EndpointKind::TriggerOut => 0x60..=0x7F,
            EndpointKind::PipeIn => 0x80..=0x9F,
            EndpointKind::PipeOut => 0xA0..=0xBF,
        }
    }
}

/// Every endpoint of the design, for checks and for instantiation loops.
pub const ENDPOINTS: &[(&str, EndpointKind, u8)] = &[
    ("control", EndpointKind::WireIn, WIRE_IN_CONTROL),
    ("xfer_addr_lo", EndpointKind::WireIn, WIRE_IN_XFER_ADDR_LO),
    ("xfer_addr_hi", EndpointKind::WireIn, WIRE_IN_XFER_ADDR_HI),
    ("xfer_words_lo", EndpointKind::WireIn, WIRE_IN_XFER_WORDS_LO),
    ("xfer_words_hi", EndpointKind::WireIn, WIRE_IN_XFER_WORDS_HI),
    ("desc_addr_lo", EndpointKind::WireIn, WIRE_IN_DESC_ADDR_LO),
    ("desc_addr_hi", EndpointKind::WireIn, WIRE_IN_DESC_ADDR_HI),
    ("in_addr_lo", EndpointKind::WireIn, WIRE_IN_IN_ADDR_LO),
    ("in_addr_hi", EndpointKind::WireIn, WIRE_IN_IN_ADDR_HI),
    ("out_addr_lo", EndpointKind::WireIn, WIRE_IN_OUT_ADDR_LO),
    ("out_addr_hi", EndpointKind::WireIn, WIRE_IN_OUT_ADDR_HI),
    ("state_addr_lo", EndpointKind::WireIn, WIRE_IN_STATE_ADDR_LO),
    ("state_addr_hi", EndpointKind::WireIn, WIRE_IN_STATE_ADDR_HI),
    ("steps", EndpointKind::WireIn, WIRE_IN_STEPS),
    ("design_id", EndpointKind::WireOut, WIRE_OUT_DESIGN_ID),
    (
        "protocol_version",
        EndpointKind::WireOut,
        WIRE_OUT_PROTOCOL_VERSION,
    ),
    ("status", EndpointKind::WireOut, WIRE_OUT_STATUS),
    ("error_code", EndpointKind::WireOut, WIRE_OUT_ERROR_CODE),
    ("cycles_lo", EndpointKind::WireOut, WIRE_OUT_CYCLES_LO),
    ("cycles_hi", EndpointKind::WireOut, WIRE_OUT_CYCLES_HI),
    (
        "busy_cycles_lo",
        EndpointKind::WireOut,
        WIRE_OUT_BUSY_CYCLES_LO,
    ),
    (
        "busy_cycles_hi",
        EndpointKind::WireOut,
        WIRE_OUT_BUSY_CYCLES_HI,
    ),
    (
        "stall_cycles_lo",
        EndpointKind::WireOut,
        WIRE_OUT_STALL_CYCLES_LO,
    ),
    (
        "stall_cycles_hi",
        EndpointKind::WireOut,
        WIRE_OUT_STALL_CYCLES_HI,
    ),
    (
        "dram_words_lo",
        EndpointKind::WireOut,
        WIRE_OUT_DRAM_WORDS_LO,
    ),
    (
        "dram_words_hi",
        EndpointKind::WireOut,
        WIRE_OUT_DRAM_WORDS_HI,
    ),
    ("mults_lo", EndpointKind::WireOut, WIRE_OUT_MULTS_LO),
    ("mults_hi", EndpointKind::WireOut, WIRE_OUT_MULTS_HI),
    ("adds_lo", EndpointKind::WireOut, WIRE_OUT_ADDS_LO),
    ("adds_hi", EndpointKind::WireOut, WIRE_OUT_ADDS_HI),
    (
        "xfer_done_words_lo",
        EndpointKind::WireOut,
        WIRE_OUT_XFER_DONE_WORDS_LO,
    ),
    (
        "xfer_done_words_hi",
        EndpointKind::WireOut,
        WIRE_OUT_XFER_DONE_WORDS_HI,
    ),
    ("engine_kind", EndpointKind::WireOut, WIRE_OUT_ENGINE_KIND),
    ("lanes", EndpointKind::WireOut, WIRE_OUT_LANES),
    ("acc_depth", EndpointKind::WireOut, WIRE_OUT_ACC_DEPTH),
    ("command", EndpointKind::TriggerIn, TRIGGER_IN_COMMAND),
    ("events", EndpointKind::TriggerOut, TRIGGER_OUT_EVENTS),
    ("dram_in", EndpointKind::PipeIn, PIPE_IN_DRAM),
    ("dram_out", EndpointKind::PipeOut, PIPE_OUT_DRAM),
];

/// A problem with an endpoint table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointProblem {
    OutOfRange {
        name: String,
        kind: EndpointKind,
        addr: u8,
    },
    Duplicate {
        first: String,
        second: String,
        addr: u8,
    },
}

/// Checks that every address lies in its kind's range and no address is used twice.
pub fn check_endpoints(table: &[(&str, EndpointKind, u8)]) -> Result<(), Vec<EndpointProblem>> {
    let mut problems = Vec::new();
    for (i, (name, kind, addr)) in table.iter().enumerate() {
        if !kind.range().contains(addr) {
            problems.push(EndpointProblem::OutOfRange {
                name: name.to_string(),
                kind: *kind,
                addr: *addr,
            });
        }
        if let Some((first, _, _)) = table[..i].iter().find(|(_, _, a)| a == addr) {
            problems.push(EndpointProblem::Duplicate {
                first: first.to_string(),
                second: name.to_string(),
                addr: *addr,
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_endpoints_are_unique_and_in_range() {
        assert_eq!(check_endpoints(ENDPOINTS), Ok(()));
    }

    #[test]
    fn duplicate_and_out_of_range_addresses_are_rejected() {
        let bad = [
            ("a", EndpointKind::WireIn, 0x01),
            ("b", EndpointKind::WireIn, 0x01),
            ("c", EndpointKind::TriggerOut, 0x5F),
        ];
        let problems = check_endpoints(&bad).unwrap_err();
        assert!(problems.contains(&EndpointProblem::Duplicate {
            first: "a".into(),
            second: "b".into(),
            addr: 1
        }));
        assert!(problems.contains(&EndpointProblem::OutOfRange {
            name: "c".into(),
            kind: EndpointKind::TriggerOut,
            addr: 0x5F
        }));
    }

    #[test]
    fn error_codes_round_trip() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_u16(c as u16), Some(c));
        }
        assert_eq!(ErrorCode::from_u16(999), None);
    }
}
