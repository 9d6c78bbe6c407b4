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
pub const PROTOCOL_VERSION: u16 = 2;

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

// ---- The endpoint table ----

/// Calls `$callback!` with every FrontPanel endpoint of the design: the one place the
/// endpoints are declared. Each entry is `(CONSTANT, port_name, address, "description")`,
/// grouped by kind. The constants below, [`ENDPOINTS`], the host bridge's endpoint ports,
/// the firmware top's endpoint instances and wiring, the simulated board's tables and the
/// endpoint table in docs/driver.md are all generated from it ([`for_endpoint_table!`]
/// binds it to names of the caller's choosing).
#[macro_export]
macro_rules! with_endpoint_table {
    ($callback:ident) => {
        $callback! {
            wire_in: [
                (WIRE_IN_CONTROL, wire_in_control, 0x00, "Control bits, see CONTROL_*"),
                (WIRE_IN_XFER_ADDR_LO, wire_in_xfer_addr_lo, 0x01, "DRAM word address of the next pipe transfer, low half"),
                (WIRE_IN_XFER_ADDR_HI, wire_in_xfer_addr_hi, 0x02, "DRAM word address of the next pipe transfer, high half"),
                (WIRE_IN_XFER_WORDS_LO, wire_in_xfer_words_lo, 0x03, "Length of the next pipe transfer in 128-bit words, low half"),
                (WIRE_IN_XFER_WORDS_HI, wire_in_xfer_words_hi, 0x04, "Length of the next pipe transfer in 128-bit words, high half"),
                (WIRE_IN_DESC_ADDR_LO, wire_in_desc_addr_lo, 0x05, "Run command: layer descriptor word address, low half"),
                (WIRE_IN_DESC_ADDR_HI, wire_in_desc_addr_hi, 0x06, "Run command: layer descriptor word address, high half"),
                (WIRE_IN_IN_ADDR_LO, wire_in_in_addr_lo, 0x07, "Run command: word address of the step inputs, low half"),
                (WIRE_IN_IN_ADDR_HI, wire_in_in_addr_hi, 0x08, "Run command: word address of the step inputs, high half"),
                (WIRE_IN_OUT_ADDR_LO, wire_in_out_addr_lo, 0x09, "Run command: word address of the step outputs, low half"),
                (WIRE_IN_OUT_ADDR_HI, wire_in_out_addr_hi, 0x0A, "Run command: word address of the step outputs, high half"),
                (WIRE_IN_STATE_ADDR_LO, wire_in_state_addr_lo, 0x0B, "Run command: word address of the recurrent state (h, then c for LSTM), low half"),
                (WIRE_IN_STATE_ADDR_HI, wire_in_state_addr_hi, 0x0C, "Run command: word address of the recurrent state, high half"),
                (WIRE_IN_STEPS, wire_in_steps, 0x0D, "Run command: number of steps (input vectors) to run, 1..=65535"),
            ],
            wire_out: [
                (WIRE_OUT_DESIGN_ID, wire_out_design_id, 0x20, "Design id, DESIGN_ID"),
                (WIRE_OUT_PROTOCOL_VERSION, wire_out_protocol_version, 0x21, "Register-map and run-protocol version, PROTOCOL_VERSION"),
                (WIRE_OUT_STATUS, wire_out_status, 0x22, "Status bits, see STATUS_*"),
                (WIRE_OUT_ERROR_CODE, wire_out_error_code, 0x23, "Last error (ErrorCode); cleared by the next accepted command"),
                (WIRE_OUT_CYCLES_LO, wire_out_cycles_lo, 0x24, "Last run: engine cycles, low half (counters clear at each run start)"),
                (WIRE_OUT_CYCLES_HI, wire_out_cycles_hi, 0x25, "Last run: engine cycles, high half"),
                (WIRE_OUT_BUSY_CYCLES_LO, wire_out_busy_cycles_lo, 0x26, "Last run: cycles the datapath did work, low half"),
                (WIRE_OUT_BUSY_CYCLES_HI, wire_out_busy_cycles_hi, 0x27, "Last run: cycles the datapath did work, high half"),
                (WIRE_OUT_STALL_CYCLES_LO, wire_out_stall_cycles_lo, 0x28, "Last run: cycles stalled on DRAM, low half"),
                (WIRE_OUT_STALL_CYCLES_HI, wire_out_stall_cycles_hi, 0x29, "Last run: cycles stalled on DRAM, high half"),
                (WIRE_OUT_DRAM_WORDS_LO, wire_out_dram_words_lo, 0x2A, "Last run: DRAM words moved, low half"),
                (WIRE_OUT_DRAM_WORDS_HI, wire_out_dram_words_hi, 0x2B, "Last run: DRAM words moved, high half"),
                (WIRE_OUT_MULTS_LO, wire_out_mults_lo, 0x2C, "Last run: multiplications, low half"),
                (WIRE_OUT_MULTS_HI, wire_out_mults_hi, 0x2D, "Last run: multiplications, high half"),
                (WIRE_OUT_ADDS_LO, wire_out_adds_lo, 0x2E, "Last run: additions, low half"),
                (WIRE_OUT_ADDS_HI, wire_out_adds_hi, 0x2F, "Last run: additions, high half"),
                (WIRE_OUT_XFER_DONE_WORDS_LO, wire_out_xfer_done_words_lo, 0x30, "Words moved by the current or last pipe transfer, low half"),
                (WIRE_OUT_XFER_DONE_WORDS_HI, wire_out_xfer_done_words_hi, 0x31, "Words moved by the current or last pipe transfer, high half"),
                (WIRE_OUT_ENGINE_KIND, wire_out_engine_kind, 0x32, "Engine kind, ENGINE_KIND_*"),
                (WIRE_OUT_LANES, wire_out_lanes, 0x33, "Number of gather-add (or MAC) lanes"),
                (WIRE_OUT_ACC_DEPTH, wire_out_acc_depth, 0x34, "Accumulator depth: the largest N_out of one pass"),
                (WIRE_OUT_WORDS_DONE, wire_out_words_done, 0x35, "Program run: inputs (words) finished so far (crew_spec::program)"),
                (WIRE_OUT_TRACE_END_LO, wire_out_trace_end_lo, 0x36, "Program run: word address past the last finished input's trace slot, low half"),
                (WIRE_OUT_TRACE_END_HI, wire_out_trace_end_hi, 0x37, "Program run: word address past the last finished input's trace slot, high half"),
            ],
            trigger_in: [
                (TRIGGER_IN_COMMAND, trigger_in_command, 0x40, "Commands, bits TRIG_* (UI clock domain)"),
            ],
            trigger_out: [
                (TRIGGER_OUT_EVENTS, trigger_out_events, 0x60, "Events, bits TRIG_OUT_* (UI clock domain)"),
            ],
            pipe_in: [
                (PIPE_IN_DRAM, pipe_in_dram, 0x80, "Block-throttled pipe: DRAM write data (host to board)"),
            ],
            pipe_out: [
                (PIPE_OUT_DRAM, pipe_out_dram, 0xA0, "Block-throttled pipe: DRAM read data (board to host)"),
            ],
        }
    };
}

/// Expands `body` once per use with the endpoint table bound to metavariables the caller
/// names: for each kind, in table order, the names of an entry's constant, port name,
/// address and description. The caller passes a `$` first, because a macro cannot write
/// one into the matcher it generates, and the names are the caller's so that its body can
/// use them. The one matcher of [`with_endpoint_table!`]'s table, shared by the host
/// bridge's endpoint ports and the firmware top:
/// ```
/// crew_spec::for_endpoint_table! {
///     $ wire_in(wi_const, wi, wi_addr, wi_doc), wire_out(wo_const, wo, wo_addr, wo_doc),
///     trigger_in(ti_const, ti, ti_addr, ti_doc), trigger_out(to_const, to, to_addr, to_doc),
///     pipe_in(pi_const, pi, pi_addr, pi_doc), pipe_out(po_const, po, po_addr, po_doc) => {
///         const WIRE_IN_ADDRS: &[u8] = &[$($wi_addr),*];
///     }
/// }
/// assert_eq!(WIRE_IN_ADDRS[0], crew_spec::regmap::WIRE_IN_CONTROL);
/// ```
#[macro_export]
macro_rules! for_endpoint_table {
    (
        $d:tt wire_in($wic:ident, $wi:ident, $wia:ident, $wid:ident),
        wire_out($woc:ident, $wo:ident, $woa:ident, $wod:ident),
        trigger_in($tic:ident, $ti:ident, $tia:ident, $tid:ident),
        trigger_out($toc:ident, $to:ident, $toa:ident, $tod:ident),
        pipe_in($pic:ident, $pi:ident, $pia:ident, $pid:ident),
        pipe_out($poc:ident, $po:ident, $poa:ident, $pod:ident) => { $($body:tt)* }
    ) => {
        macro_rules! __crew_endpoint_table_body {
            (
                wire_in: [$d(($d $wic:ident, $d $wi:ident, $d $wia:literal, $d $wid:literal)),* $d(,)?],
                wire_out: [$d(($d $woc:ident, $d $wo:ident, $d $woa:literal, $d $wod:literal)),* $d(,)?],
                trigger_in: [$d(($d $tic:ident, $d $ti:ident, $d $tia:literal, $d $tid:literal)),* $d(,)?],
                trigger_out: [$d(($d $toc:ident, $d $to:ident, $d $toa:literal, $d $tod:literal)),* $d(,)?],
                pipe_in: [$d(($d $pic:ident, $d $pi:ident, $d $pia:literal, $d $pid:literal)),* $d(,)?],
                pipe_out: [$d(($d $poc:ident, $d $po:ident, $d $poa:literal, $d $pod:literal)),* $d(,)?] $d(,)?
            ) => { $($body)* };
        }
        $crate::with_endpoint_table!(__crew_endpoint_table_body);
    };
}

macro_rules! declare_endpoint_constants {
    ($($kind:ident: [$(($constant:ident, $port:ident, $addr:literal, $doc:literal)),* $(,)?]),* $(,)?) => {
        $($(
            #[doc = $doc]
            pub const $constant: u8 = $addr;
        )*)*

        /// Every endpoint of the design (from [`with_endpoint_table!`]).
        pub const ENDPOINTS: &[Endpoint] = &[
            $($(
                Endpoint {
                    name: stringify!($port),
                    kind: declare_endpoint_constants!(@kind $kind),
                    addr: $addr,
                    description: $doc,
                },
            )*)*
        ];
    };
    (@kind wire_in) => { EndpointKind::WireIn };
    (@kind wire_out) => { EndpointKind::WireOut };
    (@kind trigger_in) => { EndpointKind::TriggerIn };
    (@kind trigger_out) => { EndpointKind::TriggerOut };
    (@kind pipe_in) => { EndpointKind::PipeIn };
    (@kind pipe_out) => { EndpointKind::PipeOut };
}

with_endpoint_table!(declare_endpoint_constants);

/// `WIRE_IN_CONTROL` bit: hold the bridge and the engine in reset while set.
pub const CONTROL_SOFT_RESET: u16 = 1 << 0;

/// `WIRE_OUT_STATUS` bits.
pub const STATUS_CALIB_DONE: u16 = 1 << 0;
pub const STATUS_ENGINE_BUSY: u16 = 1 << 1;
pub const STATUS_RUN_DONE: u16 = 1 << 2;
pub const STATUS_ERROR: u16 = 1 << 3;
pub const STATUS_XFER_BUSY: u16 = 1 << 4;

/// Start a run with the run-command wires.
pub const TRIG_START_RUN: u8 = 0;
/// Abort the current run or transfer (error code `Aborted`).
pub const TRIG_ABORT: u8 = 1;
/// Arm a DRAM write: the next `XFER_WORDS` words from the pipe-in go to `XFER_ADDR`.
pub const TRIG_START_DRAM_WRITE: u8 = 2;
/// Arm a DRAM read: `XFER_WORDS` words from `XFER_ADDR` become readable on the pipe-out.
pub const TRIG_START_DRAM_READ: u8 = 3;
/// Starts a sequence program (`crate::program`) with the run-command wires: descriptor
/// address = the program, input address = the source stream, output address = the trace,
/// steps = the number of inputs. Added in protocol version 2.
pub const TRIG_START_PROGRAM: u8 = 4;

pub const TRIG_OUT_RUN_DONE: u8 = 0;
pub const TRIG_OUT_XFER_DONE: u8 = 1;
pub const TRIG_OUT_ERROR: u8 = 2;

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
    /// A token-input layer's step input is a token >= V (`image::FLAG_TOKEN_INPUT`).
    BadToken = 10,
    BadProgram = 11,
    SourceTooLong = 12,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 13] = [
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
        ErrorCode::BadToken,
        ErrorCode::BadProgram,
        ErrorCode::SourceTooLong,
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
            ErrorCode::BadToken => "token input outside the layer's token table",
            ErrorCode::BadProgram => {
                "sequence program has a bad magic, kind or field, or names layers of the wrong kind"
            }
            ErrorCode::SourceTooLong => "source input without its end token within max_src steps",
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

/// One FrontPanel endpoint (see [`with_endpoint_table!`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The port name in the RTL (`wire_in_control`, ...).
    pub name: &'static str,
    pub kind: EndpointKind,
    pub addr: u8,
    pub description: &'static str,
}

/// The endpoint table as Markdown (the table in docs/driver.md, checked by a test).
pub fn endpoint_table_markdown() -> String {
    let mut s = String::from("| Address | Kind | Port | Description |\n|---|---|---|---|\n");
    for e in ENDPOINTS {
        s.push_str(&format!(
            "| 0x{:02X} | {:?} | `{}` | {} |\n",
            e.addr, e.kind, e.name, e.description
        ));
    }
    s
}

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
pub fn check_endpoints(table: &[Endpoint]) -> Result<(), Vec<EndpointProblem>> {
    let mut problems = Vec::new();
    for (i, e) in table.iter().enumerate() {
        if !e.kind.range().contains(&e.addr) {
            problems.push(EndpointProblem::OutOfRange {
                name: e.name.to_string(),
                kind: e.kind,
                addr: e.addr,
            });
        }
        if let Some(first) = table[..i].iter().find(|f| f.addr == e.addr) {
            problems.push(EndpointProblem::Duplicate {
                first: first.name.to_string(),
                second: e.name.to_string(),
                addr: e.addr,
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
    fn docs_driver_md_lists_the_endpoint_table() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/driver.md"))
                .expect("docs/driver.md");
        assert!(
            doc.contains(&endpoint_table_markdown()),
            "docs/driver.md's endpoint table is stale; paste crew_spec::regmap::endpoint_table_markdown():\n{}",
            endpoint_table_markdown()
        );
    }

    #[test]
    fn design_endpoints_are_unique_and_in_range() {
        assert_eq!(check_endpoints(ENDPOINTS), Ok(()));
    }

    #[test]
    fn duplicate_and_out_of_range_addresses_are_rejected() {
        let endpoint = |name, kind, addr| Endpoint {
            name,
            kind,
            addr,
            description: "",
        };
        let bad = [
            endpoint("a", EndpointKind::WireIn, 0x01),
            endpoint("b", EndpointKind::WireIn, 0x01),
            endpoint("c", EndpointKind::TriggerOut, 0x5F),
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
