//! Faults of the stand-in, from the comma-separated list in `FRONTPANEL_SIM_FAULTS`. Each
//! applies once per process:
//!
//! | fault | what happens |
//! |---|---|
//! | `disappear-after-bytes=N` | the device is unplugged once N bytes have crossed the pipes: the transfer under way stops there and returns `ok_DeviceNotOpen`, as does every later call; the device list is empty |
//! | `short-pipe=N` | the next pipe transfer moves only N bytes (whole 16-bit words) and returns that count |
//! | `timeout=CALL` | the first `okFrontPanel_CALL` (e.g. `timeout=ReadFromBlockPipeOut`) waits out the USB timeout and returns `ok_Timeout` |
//! | `fail-update-wire-outs=N` | the N-th `okFrontPanel_UpdateWireOuts` (from 1) returns `ok_Failed` |

/// The parsed fault list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    pub disappear_after_bytes: Option<u64>,
    pub short_pipe_bytes: Option<usize>,
    /// FrontPanel function name without the `okFrontPanel_` prefix.
    pub timeout_call: Option<String>,
    pub fail_update_wire_outs: Option<u64>,
}

impl std::str::FromStr for Faults {
    type Err = String;

    fn from_str(list: &str) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("fault {item:?} is not KEY=VALUE"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("fault {key}: {value:?} is not a number"))
            };
            match key {
                "disappear-after-bytes" => faults.disappear_after_bytes = Some(number()?),
                "short-pipe" => faults.short_pipe_bytes = Some(number()? as usize),
                "timeout" => faults.timeout_call = Some(value.to_string()),
                "fail-update-wire-outs" => faults.fail_update_wire_outs = Some(number()?),
                _ => {
                    return Err(format!(
                        "unknown fault {key:?} (disappear-after-bytes, short-pipe, timeout, \
                         fail-update-wire-outs)"
                    ))
                }
            }
        }
        Ok(faults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_parses_and_bad_items_are_named() {
        let f: Faults = "short-pipe=512, timeout=UpdateTriggerOuts,fail-update-wire-outs=3"
            .parse()
            .unwrap();
        assert_eq!(f.short_pipe_bytes, Some(512));
        assert_eq!(f.timeout_call.as_deref(), Some("UpdateTriggerOuts"));
        assert_eq!(f.fail_update_wire_outs, Some(3));
        assert_eq!(f.disappear_after_bytes, None);
        assert_eq!("".parse::<Faults>().unwrap(), Faults::default());
        assert!("short-pipe=x"
            .parse::<Faults>()
            .unwrap_err()
            .contains("\"x\""));
        assert!("melt=1".parse::<Faults>().unwrap_err().contains("melt"));
    }
}
