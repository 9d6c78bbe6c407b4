//! The one fault vocabulary of the simulated board, for every front end that drives it
//! (crew-host's sim transport, `--sim-fault KEY=VALUE`; the frontpanel-sim stand-in,
//! `FRONTPANEL_SIM_FAULTS=KEY=VALUE,...`). Each fault applies once. [`super::device`]
//! carries them out; what the host then sees is what a real board on USB would give:
//!
//! | fault | what happens |
//! |---|---|
//! | `cut-transfer=N` | the first pipe transfer stops after N bytes (whole 16-bit words); the call returns the bytes moved |
//! | `short-pipe=N` | the same, for the next pipe transfer (the stand-in's historical name) |
//! | `stall-dram-at-run=N` | when the first run starts, the DRAM port accepts nothing for N UI cycles |
//! | `design-id=N`, `protocol-version=N`, `engine-kind=N` | that identity wire-out reads N (a board configured with another design) |
//! | `disappear-after-bytes=N` | the device is unplugged once N bytes have crossed the pipes: the transfer under way stops there and fails with DeviceNotOpen, as does every later call |
//! | `timeout=CALL` | the first FrontPanel call `CALL` (e.g. `ReadFromBlockPipeOut`, `ConfigureFPGA`) waits out the USB timeout and fails with Timeout |
//! | `fail-update-wire-outs=N` | the N-th UpdateWireOuts (from 1) fails with Failed |
//!
//! Numbers are decimal or 0x hex.

use crew_spec::regmap;

/// One fault (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimFault {
    /// The next pipe transfer stops after this many bytes.
    CutPipeTransfer { after_bytes: usize },
    /// When the first run starts, the DRAM port accepts nothing for this many UI cycles.
    StallDramAtRun { ui_cycles: u64 },
    /// The wire-out `addr` reads `value`.
    WireOut { addr: u8, value: u16 },
    /// The device is unplugged once this many bytes have crossed the pipes.
    DisappearAfterBytes { bytes: u64 },
    /// The first call of this FrontPanel function (name without `okFrontPanel_`) times out.
    Timeout { call: String },
    /// The n-th UpdateWireOuts (from 1) fails.
    FailUpdateWireOuts { nth: u64 },
}

const KEYS: &str = "cut-transfer, short-pipe, stall-dram-at-run, design-id, protocol-version, \
                    engine-kind, disappear-after-bytes, timeout, fail-update-wire-outs";

fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

impl std::str::FromStr for SimFault {
    type Err = String;

    fn from_str(s: &str) -> Result<SimFault, String> {
        let (key, value) = s
            .trim()
            .split_once('=')
            .ok_or_else(|| format!("fault {s:?} is not KEY=VALUE"))?;
        let number =
            || parse_number(value).ok_or_else(|| format!("fault {key}: {value:?} is not a number"));
        let wire = |addr: u8| -> Result<SimFault, String> {
            let n = number()?;
            let value =
                u16::try_from(n).map_err(|_| format!("fault {key}: {n} exceeds 16 bits"))?;
            Ok(SimFault::WireOut { addr, value })
        };
        match key {
            "cut-transfer" | "short-pipe" => Ok(SimFault::CutPipeTransfer {
                after_bytes: number()? as usize,
            }),
            "stall-dram-at-run" => Ok(SimFault::StallDramAtRun {
                ui_cycles: number()?,
            }),
            "design-id" => wire(regmap::WIRE_OUT_DESIGN_ID),
            "protocol-version" => wire(regmap::WIRE_OUT_PROTOCOL_VERSION),
            "engine-kind" => wire(regmap::WIRE_OUT_ENGINE_KIND),
            "disappear-after-bytes" => Ok(SimFault::DisappearAfterBytes { bytes: number()? }),
            "timeout" if !value.is_empty() => Ok(SimFault::Timeout {
                call: value.trim_start_matches("okFrontPanel_").to_string(),
            }),
            "fail-update-wire-outs" => Ok(SimFault::FailUpdateWireOuts { nth: number()? }),
            _ => Err(format!("unknown fault {key:?} ({KEYS})")),
        }
    }
}

/// Parses a comma-separated list (empty items ignored).
pub fn parse_list(list: &str) -> Result<Vec<SimFault>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::parse)
        .collect()
}

/// What is left of a fault list while a front end runs: each fault is taken when it fires.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingFaults {
    faults: Vec<SimFault>,
    pipe_bytes: u64,
    update_wire_outs_calls: u64,
}

/// How a pipe transfer of the simulated device is to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipeCut {
    /// Bytes the transfer moves before it stops.
    pub after_bytes: usize,
    /// The device is unplugged at that point.
    pub unplug: bool,
}

impl PendingFaults {
    pub fn new(faults: &[SimFault]) -> PendingFaults {
        PendingFaults {
            faults: faults.to_vec(),
            ..PendingFaults::default()
        }
    }

    fn take(&mut self, pick: impl Fn(&SimFault) -> bool) -> Option<SimFault> {
        let k = self.faults.iter().position(pick)?;
        Some(self.faults.remove(k))
    }

    /// Whether the FrontPanel call `call` is to time out now.
    pub fn take_timeout(&mut self, call: &str) -> bool {
        self.take(|f| matches!(f, SimFault::Timeout { call: c } if c == call))
            .is_some()
    }

    /// Counts an UpdateWireOuts; whether this one is to fail.
    pub fn count_update_wire_outs(&mut self) -> bool {
        self.update_wire_outs_calls += 1;
        let n = self.update_wire_outs_calls;
        self.take(|f| matches!(f, SimFault::FailUpdateWireOuts { nth } if *nth == n))
            .is_some()
    }

    /// The DRAM stall to apply when a run starts, once.
    pub fn take_stall_at_run(&mut self) -> Option<u64> {
        match self.take(|f| matches!(f, SimFault::StallDramAtRun { .. })) {
            Some(SimFault::StallDramAtRun { ui_cycles }) => Some(ui_cycles),
            _ => None,
        }
    }

    /// The identity the wire-out `addr` is to report instead of the board's.
    pub fn wire_out_override(&self, addr: u8) -> Option<u16> {
        self.faults.iter().find_map(|f| match f {
            SimFault::WireOut { addr: a, value } if *a == addr => Some(*value),
            _ => None,
        })
    }

    /// How a pipe transfer of `len` bytes is to end, if a fault cuts it.
    pub fn pipe_cut(&mut self, len: usize) -> Option<PipeCut> {
        let disappear = self.faults.iter().find_map(|f| match f {
            SimFault::DisappearAfterBytes { bytes } => Some(*bytes),
            _ => None,
        });
        if let Some(left) = disappear
            .map(|at| at.saturating_sub(self.pipe_bytes))
            .filter(|&left| left < len as u64)
        {
            self.take(|f| matches!(f, SimFault::DisappearAfterBytes { .. }));
            return Some(PipeCut {
                after_bytes: left as usize,
                unplug: true,
            });
        }
        match self.take(|f| matches!(f, SimFault::CutPipeTransfer { .. })) {
            Some(SimFault::CutPipeTransfer { after_bytes }) => Some(PipeCut {
                after_bytes,
                unplug: false,
            }),
            _ => None,
        }
    }

    /// Counts the bytes a pipe transfer moved (for `disappear-after-bytes`).
    pub fn count_pipe_bytes(&mut self, moved: usize) {
        self.pipe_bytes += moved as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses_and_bad_items_are_named() {
        let list = parse_list(
            "cut-transfer=0x400, stall-dram-at-run=500, design-id=0xBEEF, timeout=okFrontPanel_UpdateTriggerOuts,\
             fail-update-wire-outs=3,disappear-after-bytes=4096,short-pipe=512",
        )
        .unwrap();
        assert_eq!(list[0], SimFault::CutPipeTransfer { after_bytes: 1024 });
        assert_eq!(list[1], SimFault::StallDramAtRun { ui_cycles: 500 });
        assert_eq!(
            list[2],
            SimFault::WireOut {
                addr: regmap::WIRE_OUT_DESIGN_ID,
                value: 0xBEEF
            }
        );
        assert_eq!(
            list[3],
            SimFault::Timeout {
                call: "UpdateTriggerOuts".into()
            }
        );
        assert_eq!(list.len(), 7);
        assert_eq!(parse_list("").unwrap(), vec![]);
        assert!(parse_list("short-pipe=x").unwrap_err().contains("\"x\""));
        assert!(parse_list("melt=1").unwrap_err().contains("melt"));
        assert!(parse_list("design-id=70000")
            .unwrap_err()
            .contains("16 bits"));
    }

    #[test]
    fn pending_faults_fire_once_in_order() {
        let mut p = PendingFaults::new(&parse_list(
            "timeout=UpdateWireIns,fail-update-wire-outs=2,cut-transfer=100,disappear-after-bytes=1000",
        )
        .unwrap());
        assert!(!p.take_timeout("UpdateWireOuts"));
        assert!(p.take_timeout("UpdateWireIns"));
        assert!(!p.take_timeout("UpdateWireIns"));
        assert!(!p.count_update_wire_outs());
        assert!(p.count_update_wire_outs());
        assert!(!p.count_update_wire_outs());
        let cut = p.pipe_cut(512).unwrap();
        assert_eq!((cut.after_bytes, cut.unplug), (100, false));
        p.count_pipe_bytes(100);
        assert_eq!(p.pipe_cut(512), None);
        p.count_pipe_bytes(512);
        let unplug = p.pipe_cut(512).unwrap();
        assert_eq!((unplug.after_bytes, unplug.unplug), (388, true));
        assert_eq!(p.take_stall_at_run(), None);
    }
}
