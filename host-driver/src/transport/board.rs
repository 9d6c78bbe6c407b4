//! A real board through Opal Kelly FrontPanel (`rust-hdl-ok-frontpanel-sys`, loaded at run
//! time). Short pipe transfers come back as byte counts, like the simulator's, so the
//! driver handles truncation in one place.
//!
//! Device time is the wall clock, except on the frontpanel-sim stand-in library, whose
//! simulated board has its own clock (`OkHandle::simulated_device_time`): the host reads
//! it and waits through it, so deadlines mean what they would on a board.

use std::path::Path;
use std::time::{Duration, Instant};

use rust_hdl_ok_frontpanel_sys::{FrontPanelError, OkHandle};

use super::{Transport, TransportError};

/// USB transfer timeout set on every opened board; the driver's own deadlines are longer
/// waits made of many short calls.
pub const USB_TIMEOUT: Duration = Duration::from_secs(2);

/// A FrontPanel handle with an open board.
pub struct BoardTransport {
    handle: OkHandle,
    serial: String,
    model: String,
    start: Instant,
    /// The stand-in's device time when opened (`None` on hardware).
    simulated_start: Option<Duration>,
}

fn library_handle() -> Result<OkHandle, TransportError> {
    OkHandle::try_new().map_err(|e| match e {
        e @ FrontPanelError::LibraryNotFound { .. } => TransportError::LibraryMissing(e),
        e => TransportError::FrontPanel(e),
    })
}

/// Serial numbers of the attached FrontPanel devices.
pub fn attached_serials() -> Result<Vec<String>, TransportError> {
    Ok(library_handle()?.device_serials()?)
}

impl BoardTransport {
    /// Opens the board with `serial`, or the only attached board when `serial` is `None`
    /// (several boards without a serial is an error listing them).
    pub fn open(serial: Option<&str>) -> Result<BoardTransport, TransportError> {
        let handle = library_handle()?;
        let attached = handle.device_serials()?;
        let serial = match serial {
            Some(s) if attached.iter().any(|a| a == s) => s.to_string(),
            Some(s) => {
                return Err(TransportError::NoDevice {
                    serial: Some(s.into()),
                    attached,
                })
            }
            None => match attached.as_slice() {
                [] => {
                    return Err(TransportError::NoDevice {
                        serial: None,
                        attached,
                    })
                }
                [one] => one.clone(),
                _ => return Err(TransportError::SeveralDevices { serials: attached }),
            },
        };
        handle
            .try_open_with_serial(&serial)
            .map_err(|error| TransportError::Open {
                serial: serial.clone(),
                error,
            })?;
        handle.set_timeout(USB_TIMEOUT)?;
        let model = handle.try_board_model()?;
        let simulated_start = handle.simulated_device_time();
        Ok(BoardTransport {
            handle,
            serial,
            model,
            start: Instant::now(),
            simulated_start,
        })
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// FrontPanel's board model string (e.g. "XEM7010-A50").
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Configures the FPGA with a bitstream file.
    pub fn configure(&mut self, bitstream: &Path) -> Result<(), TransportError> {
        Ok(self.handle.try_configure_fpga(bitstream)?)
    }
}

/// A short transfer as a byte count; other failures as errors.
fn moved(result: Result<(), FrontPanelError>, len: usize) -> Result<usize, TransportError> {
    match result {
        Ok(()) => Ok(len),
        Err(FrontPanelError::ShortTransfer { transferred, .. }) => Ok(transferred),
        Err(e) => Err(e.into()),
    }
}

fn block_size(block_size: usize) -> Result<i32, TransportError> {
    i32::try_from(block_size)
        .map_err(|_| TransportError::InvalidArgument(format!("block size {block_size}")))
}

impl Transport for BoardTransport {
    fn describe(&self) -> String {
        let stand_in = if self.handle.library().is_simulated() {
            " (frontpanel-sim stand-in)"
        } else {
            ""
        };
        format!("{} serial {}{stand_in}", self.model, self.serial)
    }
    fn set_wire_in(&mut self, addr: u8, value: u16) -> Result<(), TransportError> {
        Ok(self.handle.try_set_wire_in(addr as i32, value)?)
    }
    fn update_wire_ins(&mut self) -> Result<(), TransportError> {
        Ok(self.handle.try_update_wire_ins()?)
    }
    fn update_wire_outs(&mut self) -> Result<(), TransportError> {
        Ok(self.handle.try_update_wire_outs()?)
    }
    fn get_wire_out(&mut self, addr: u8) -> Result<u16, TransportError> {
        Ok(self.handle.try_get_wire_out(addr as i32)?)
    }
    fn activate_trigger_in(&mut self, addr: u8, bit: u8) -> Result<(), TransportError> {
        Ok(self
            .handle
            .try_activate_trigger_in(addr as i32, bit as i32)?)
    }
    fn update_trigger_outs(&mut self) -> Result<(), TransportError> {
        Ok(self.handle.try_update_trigger_outs()?)
    }
    fn is_triggered(&mut self, addr: u8, mask: u16) -> Result<bool, TransportError> {
        Ok(self.handle.try_is_triggered(addr as i32, mask as u32)?)
    }
    fn write_to_block_pipe_in(
        &mut self,
        addr: u8,
        block: usize,
        data: &[u8],
    ) -> Result<usize, TransportError> {
        let result = self
            .handle
            .try_write_to_block_pipe_in(addr as i32, block_size(block)?, data);
        moved(result, data.len())
    }
    fn read_from_block_pipe_out(
        &mut self,
        addr: u8,
        block: usize,
        buf: &mut [u8],
    ) -> Result<usize, TransportError> {
        let len = buf.len();
        let result = self
            .handle
            .try_read_from_block_pipe_out(addr as i32, block_size(block)?, buf);
        moved(result, len)
    }
    fn device_time(&self) -> Duration {
        match (self.simulated_start, self.handle.simulated_device_time()) {
            (Some(start), Some(now)) => now.saturating_sub(start),
            _ => self.start.elapsed(),
        }
    }
    fn pause(&mut self, d: Duration) -> Result<(), TransportError> {
        match self.handle.try_simulated_wait(d) {
            Some(waited) => Ok(waited?),
            None => {
                std::thread::sleep(d);
                Ok(())
            }
        }
    }
}
