//! `OkHandle`: one FrontPanel device handle (`okFrontPanel_HANDLE`).

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_long, c_ulong, CString};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::codes::{ok_ErrorCode_ok_NoError, OkError};
use crate::error::FrontPanelError;
use crate::library::{FrontPanelLibrary, RawHandle};

/// Size of the string buffers handed to FrontPanel; its longest string (the board
/// model, OK_MAX_BOARD_MODEL_STRING_LENGTH) is 128 bytes.
const STRING_BUFFER_LEN: usize = 256;

/// A FrontPanel device handle.
///
/// Two APIs share it:
/// - the fallible one (`try_new`, `try_*`, `device_serials`, `set_timeout`) returns
///   `FrontPanelError`, which names the failing C call and the error code;
/// - the legacy one of the original `rust-hdl-ok-frontpanel-sys` (`new`, `open`,
///   `set_wire_in`, ...), kept for rust-hdl-ok-core and the XEM7010 BSP. `new` panics
///   with the `FrontPanelError` message when the library cannot be loaded; the methods
///   returning `()` or a value ignore FrontPanel's error codes, as the original did.
pub struct OkHandle {
    library: Arc<FrontPanelLibrary>,
    // Null once `destruct` has released the handle.
    raw: Cell<RawHandle>,
}

// SAFETY: the handle is owned by this value alone and FrontPanel handles are not tied
// to the thread that created them; `Cell` keeps the type !Sync, so calls never overlap.
unsafe impl Send for OkHandle {}

impl Drop for OkHandle {
    fn drop(&mut self) {
        self.close();
        self.destruct();
    }
}

fn check(call: &'static str, code: c_int) -> Result<(), FrontPanelError> {
    if code == ok_ErrorCode_ok_NoError {
        Ok(())
    } else {
        Err(FrontPanelError::Call {
            call,
            error: OkError { code },
        })
    }
}

fn c_string(call: &'static str, text: &str) -> Result<CString, FrontPanelError> {
    CString::new(text).map_err(|_| FrontPanelError::InvalidArgument {
        call,
        reason: format!("{text:?} contains a NUL byte"),
    })
}

fn pipe_length(call: &'static str, len: usize) -> Result<c_long, FrontPanelError> {
    c_long::try_from(len).map_err(|_| FrontPanelError::InvalidArgument {
        call,
        reason: format!("{len} bytes exceed one transfer"),
    })
}

/// Pipe calls return the byte count moved, or a negative `ok_ErrorCode`.
fn transfer_result(
    call: &'static str,
    requested: usize,
    returned: c_long,
) -> Result<(), FrontPanelError> {
    if returned < 0 {
        let code = c_int::try_from(returned).unwrap_or(crate::codes::ok_ErrorCode_ok_Failed);
        return Err(FrontPanelError::Call {
            call,
            error: OkError { code },
        });
    }
    let transferred = returned as usize;
    if transferred == requested {
        Ok(())
    } else {
        Err(FrontPanelError::ShortTransfer {
            call,
            requested,
            transferred,
        })
    }
}

impl OkHandle {
    /// Loads the FrontPanel library (see `FrontPanelLibrary::load`) and constructs a
    /// handle with no device open.
    pub fn try_new() -> Result<OkHandle, FrontPanelError> {
        Self::try_with_library(FrontPanelLibrary::load()?)
    }

    /// Constructs a handle from an already loaded library.
    pub fn try_with_library(library: Arc<FrontPanelLibrary>) -> Result<OkHandle, FrontPanelError> {
        // SAFETY: argument-less constructor of the loaded library.
        let raw = unsafe { (library.functions.construct)() };
        if raw.is_null() {
            return Err(FrontPanelError::ConstructFailed {
                library: library.path().to_path_buf(),
            });
        }
        Ok(OkHandle {
            library,
            raw: Cell::new(raw),
        })
    }

    /// The library this handle calls into.
    pub fn library(&self) -> &Arc<FrontPanelLibrary> {
        &self.library
    }

    fn raw(&self) -> Result<RawHandle, FrontPanelError> {
        let raw = self.raw.get();
        if raw.is_null() {
            Err(FrontPanelError::Destroyed)
        } else {
            Ok(raw)
        }
    }

    fn read_string(
        &self,
        fill: impl FnOnce(RawHandle, *mut c_char),
    ) -> Result<String, FrontPanelError> {
        let raw = self.raw()?;
        let mut buffer = vec![0_u8; STRING_BUFFER_LEN];
        fill(raw, buffer.as_mut_ptr().cast());
        Ok(Self::rust_string(&buffer))
    }

    /// Opens the first device found.
    pub fn try_open_first(&self) -> Result<(), FrontPanelError> {
        self.try_open_with_serial("")
    }

    /// Opens the device with this serial number ("" opens the first one found).
    pub fn try_open_with_serial(&self, serial: &str) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        let serial = c_string("okFrontPanel_OpenBySerial", serial)?;
        // SAFETY: valid handle and NUL-terminated string that outlives the call.
        let code = unsafe { (self.library.functions.open_by_serial)(raw, serial.as_ptr()) };
        check("okFrontPanel_OpenBySerial", code)
    }

    /// Number of FrontPanel devices attached (rescans the bus).
    pub fn device_count(&self) -> Result<usize, FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        let count = unsafe { (self.library.functions.get_device_count)(raw) };
        usize::try_from(count).map_err(|_| FrontPanelError::Call {
            call: "okFrontPanel_GetDeviceCount",
            error: OkError { code: count },
        })
    }

    /// Serial numbers of all attached FrontPanel devices.
    pub fn device_serials(&self) -> Result<Vec<String>, FrontPanelError> {
        let count = self.device_count()?;
        (0..count)
            .map(|index| {
                self.read_string(|raw, buffer| {
                    // SAFETY: valid handle, index below the count, buffer of
                    // STRING_BUFFER_LEN bytes (serials are 11 bytes).
                    unsafe {
                        (self.library.functions.get_device_list_serial)(raw, index as c_int, buffer)
                    }
                })
            })
            .collect()
    }

    /// Timeout of USB transfers.
    pub fn set_timeout(&self, timeout: Duration) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        let millis =
            c_int::try_from(timeout.as_millis()).map_err(|_| FrontPanelError::InvalidArgument {
                call: "okFrontPanel_SetTimeout",
                reason: format!("{timeout:?} is too long"),
            })?;
        // SAFETY: valid handle.
        unsafe { (self.library.functions.set_timeout)(raw, millis) };
        Ok(())
    }

    pub fn try_board_model(&self) -> Result<String, FrontPanelError> {
        let functions = &self.library.functions;
        self.read_string(|raw, buffer| {
            // SAFETY: valid handle; buffer larger than the longest model string.
            unsafe {
                let model = (functions.get_board_model)(raw);
                (functions.get_board_model_string)(raw, model, buffer)
            }
        })
    }

    pub fn try_serial_number(&self) -> Result<String, FrontPanelError> {
        // SAFETY: valid handle; buffer larger than a serial number.
        self.read_string(|raw, buffer| unsafe {
            (self.library.functions.get_serial_number)(raw, buffer)
        })
    }

    pub fn try_device_id(&self) -> Result<String, FrontPanelError> {
        // SAFETY: valid handle; buffer larger than a device id (33 bytes).
        self.read_string(|raw, buffer| unsafe {
            (self.library.functions.get_device_id)(raw, buffer)
        })
    }

    /// Firmware version (major, minor) of the open device.
    pub fn try_firmware_version(&self) -> Result<(i32, i32), FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        unsafe {
            Ok((
                (self.library.functions.get_device_major_version)(raw),
                (self.library.functions.get_device_minor_version)(raw),
            ))
        }
    }

    /// Sets a WireIn value in the host-side buffer (sent by `try_update_wire_ins`).
    pub fn try_set_wire_in(&self, addr: i32, val: u16) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        let code = unsafe {
            (self.library.functions.set_wire_in_value)(raw, addr, c_ulong::from(val), 0xFFFF)
        };
        check("okFrontPanel_SetWireInValue", code)
    }

    pub fn try_update_wire_ins(&self) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        check("okFrontPanel_UpdateWireIns", unsafe {
            (self.library.functions.update_wire_ins)(raw)
        })
    }

    /// The WireIn value in the host-side buffer.
    pub fn try_get_wire_in(&self, addr: i32) -> Result<u16, FrontPanelError> {
        let raw = self.raw()?;
        let mut val: u32 = 0;
        // SAFETY: valid handle and a live u32 to write to.
        let code = unsafe { (self.library.functions.get_wire_in_value)(raw, addr, &mut val) };
        check("okFrontPanel_GetWireInValue", code)?;
        Ok(val as u16)
    }

    pub fn try_update_wire_outs(&self) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        check("okFrontPanel_UpdateWireOuts", unsafe {
            (self.library.functions.update_wire_outs)(raw)
        })
    }

    /// The WireOut value as of the last `try_update_wire_outs` (16-bit endpoints).
    pub fn try_get_wire_out(&self, addr: i32) -> Result<u16, FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        Ok(unsafe { (self.library.functions.get_wire_out_value)(raw, addr) } as u16)
    }

    /// Downloads a bitstream file to the FPGA.
    pub fn try_configure_fpga(&self, bitstream: &Path) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        let text = bitstream
            .to_str()
            .ok_or_else(|| FrontPanelError::InvalidArgument {
                call: "okFrontPanel_ConfigureFPGA",
                reason: format!("{} is not valid UTF-8", bitstream.display()),
            })?;
        let file = c_string("okFrontPanel_ConfigureFPGA", text)?;
        // SAFETY: valid handle and NUL-terminated path that outlives the call.
        let code = unsafe { (self.library.functions.configure_fpga)(raw, file.as_ptr()) };
        check("okFrontPanel_ConfigureFPGA", code)
    }

    pub fn try_activate_trigger_in(&self, addr: i32, bit: i32) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        check("okFrontPanel_ActivateTriggerIn", unsafe {
            (self.library.functions.activate_trigger_in)(raw, addr, bit)
        })
    }

    pub fn try_update_trigger_outs(&self) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        check("okFrontPanel_UpdateTriggerOuts", unsafe {
            (self.library.functions.update_trigger_outs)(raw)
        })
    }

    /// Whether any bit of `mask` fired on TriggerOut `addr` as of the last update.
    pub fn try_is_triggered(&self, addr: i32, mask: u32) -> Result<bool, FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        Ok(unsafe { (self.library.functions.is_triggered)(raw, addr, c_ulong::from(mask)) } != 0)
    }

    pub fn try_write_to_pipe_in(&self, addr: i32, data: &[u8]) -> Result<(), FrontPanelError> {
        const CALL: &str = "okFrontPanel_WriteToPipeIn";
        let raw = self.raw()?;
        let len = pipe_length(CALL, data.len())?;
        // SAFETY: FrontPanel only reads `len` bytes from `data` (the header lacks const).
        let returned = unsafe {
            (self.library.functions.write_to_pipe_in)(raw, addr, len, data.as_ptr().cast_mut())
        };
        transfer_result(CALL, data.len(), returned)
    }

    pub fn try_write_to_block_pipe_in(
        &self,
        addr: i32,
        blocksize: i32,
        data: &[u8],
    ) -> Result<(), FrontPanelError> {
        const CALL: &str = "okFrontPanel_WriteToBlockPipeIn";
        let raw = self.raw()?;
        let len = pipe_length(CALL, data.len())?;
        // SAFETY: FrontPanel only reads `len` bytes from `data` (the header lacks const).
        let returned = unsafe {
            (self.library.functions.write_to_block_pipe_in)(
                raw,
                addr,
                blocksize,
                len,
                data.as_ptr().cast_mut(),
            )
        };
        transfer_result(CALL, data.len(), returned)
    }

    pub fn try_read_from_pipe_out(
        &self,
        addr: i32,
        data: &mut [u8],
    ) -> Result<(), FrontPanelError> {
        const CALL: &str = "okFrontPanel_ReadFromPipeOut";
        let raw = self.raw()?;
        let len = pipe_length(CALL, data.len())?;
        // SAFETY: FrontPanel writes at most `len` bytes into `data`.
        let returned = unsafe {
            (self.library.functions.read_from_pipe_out)(raw, addr, len, data.as_mut_ptr())
        };
        transfer_result(CALL, data.len(), returned)
    }

    pub fn try_read_from_block_pipe_out(
        &self,
        addr: i32,
        blocksize: i32,
        data: &mut [u8],
    ) -> Result<(), FrontPanelError> {
        const CALL: &str = "okFrontPanel_ReadFromBlockPipeOut";
        let raw = self.raw()?;
        let len = pipe_length(CALL, data.len())?;
        // SAFETY: FrontPanel writes at most `len` bytes into `data`.
        let returned = unsafe {
            (self.library.functions.read_from_block_pipe_out)(
                raw,
                addr,
                blocksize,
                len,
                data.as_mut_ptr(),
            )
        };
        transfer_result(CALL, data.len(), returned)
    }

    pub fn try_reset_fpga(&self) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        check("okFrontPanel_ResetFPGA", unsafe {
            (self.library.functions.reset_fpga)(raw)
        })
    }

    pub fn try_load_default_pll_configuration(&self) -> Result<(), FrontPanelError> {
        let raw = self.raw()?;
        // SAFETY: valid handle.
        check("okFrontPanel_LoadDefaultPLLConfiguration", unsafe {
            (self.library.functions.load_default_pll_configuration)(raw)
        })
    }

    /// Device time of a simulated board (see `FrontPanelLibrary::is_simulated`); `None`
    /// for hardware, whose device time is the wall clock.
    pub fn simulated_device_time(&self) -> Option<Duration> {
        let clock = self.library.simulated_clock.as_ref()?;
        let raw = self.raw().ok()?;
        // SAFETY: valid handle; the stand-in's signature (see `SimulatedClock`).
        Some(Duration::from_nanos(unsafe { (clock.device_time_ns)(raw) }))
    }

    /// Lets `duration` of a simulated board's device time pass; `None` for hardware, where
    /// the caller sleeps instead.
    pub fn try_simulated_wait(&self, duration: Duration) -> Option<Result<(), FrontPanelError>> {
        let clock = self.library.simulated_clock.as_ref()?;
        Some(self.raw().and_then(|raw| {
            let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
            // SAFETY: valid handle; the stand-in's signature (see `SimulatedClock`).
            check(crate::library::SIM_WAIT_SYMBOL, unsafe {
                (clock.wait_ns)(raw, nanos)
            })
        }))
    }

    /// Pulses WireIn `addr` to 1 for `hold`, then back to 0 (a firmware reset line).
    pub fn try_reset_firmware(&self, addr: i32, hold: Duration) -> Result<(), FrontPanelError> {
        self.try_set_wire_in(addr, 1)?;
        self.try_update_wire_ins()?;
        std::thread::sleep(hold);
        self.try_set_wire_in(addr, 0)?;
        self.try_update_wire_ins()
    }

    // ---- Legacy API of rust-hdl-ok-frontpanel-sys 0.46 ----

    /// Legacy constructor.
    ///
    /// # Panics
    /// When the FrontPanel library cannot be loaded; the message lists every place
    /// searched. Use `try_new` to get the error instead.
    // No `Default`: a default value that can panic would surprise.
    #[allow(clippy::new_without_default)]
    pub fn new() -> OkHandle {
        Self::try_new().unwrap_or_else(|error| panic!("{error}"))
    }

    /// Releases the FrontPanel handle; later calls fail with `DeviceNotOpen`.
    pub fn destruct(&self) {
        let raw = self.raw.replace(std::ptr::null_mut());
        if !raw.is_null() {
            // SAFETY: the handle is live and, now nulled, never used again.
            unsafe { (self.library.functions.destruct)(raw) }
        }
    }

    pub fn open(&self) -> Result<(), OkError> {
        self.try_open_first().map_err(|e| e.to_ok_error())
    }

    pub fn open_with_serial(&self, serial: &str) -> Result<(), OkError> {
        self.try_open_with_serial(serial)
            .map_err(|e| e.to_ok_error())
    }

    pub fn close(&self) {
        if let Ok(raw) = self.raw() {
            // SAFETY: valid handle; closing a handle with no device open is allowed.
            unsafe { (self.library.functions.close)(raw) }
        }
    }

    /// The text of a NUL-terminated C string buffer (lossy UTF-8).
    pub fn rust_string(buffer: &[u8]) -> String {
        let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
        String::from_utf8_lossy(&buffer[..end]).into_owned()
    }

    pub fn get_board_model(&self) -> String {
        self.try_board_model().unwrap_or_default()
    }

    /// Pulses WireIn `addr` high for one second.
    pub fn reset_firmware(&self, addr: i32) {
        let _ = self.try_reset_firmware(addr, Duration::from_millis(1000));
    }

    pub fn load_default_pll_configuration(&self) -> Result<(), OkError> {
        self.try_load_default_pll_configuration()
            .map_err(|e| e.to_ok_error())
    }

    pub fn get_serial_number(&self) -> String {
        self.try_serial_number().unwrap_or_default()
    }

    pub fn get_device_id(&self) -> String {
        self.try_device_id().unwrap_or_default()
    }

    pub fn get_firmware_version(&self) -> (i32, i32) {
        self.try_firmware_version().unwrap_or_default()
    }

    pub fn get_api_version(&self) -> (i32, i32, i32) {
        self.library.api_version()
    }

    pub fn set_wire_in(&self, addr: i32, val: u16) {
        let _ = self.try_set_wire_in(addr, val);
    }

    pub fn update_wire_ins(&self) {
        let _ = self.try_update_wire_ins();
    }

    pub fn get_wire_in(&self, addr: i32) -> Result<u16, OkError> {
        self.try_get_wire_in(addr).map_err(|e| e.to_ok_error())
    }

    pub fn update_wire_outs(&self) {
        let _ = self.try_update_wire_outs();
    }

    pub fn get_wire_out(&self, addr: i32) -> u16 {
        self.try_get_wire_out(addr).unwrap_or_default()
    }

    pub fn configure_fpga(&self, firmware: &str) -> Result<(), OkError> {
        self.try_configure_fpga(Path::new(firmware))
            .map_err(|e| e.to_ok_error())
    }

    pub fn activate_trigger_in(&self, addr: i32, bit: i32) -> Result<(), OkError> {
        self.try_activate_trigger_in(addr, bit)
            .map_err(|e| e.to_ok_error())
    }

    pub fn update_trigger_outs(&self) {
        let _ = self.try_update_trigger_outs();
    }

    pub fn is_triggered(&self, addr: i32, mask: i32) -> bool {
        self.try_is_triggered(addr, mask as u32).unwrap_or(false)
    }

    pub fn write_to_pipe_in(&self, addr: i32, data: &[u8]) -> Result<(), OkError> {
        self.try_write_to_pipe_in(addr, data)
            .map_err(|e| e.to_ok_error())
    }

    pub fn write_to_block_pipe_in(
        &self,
        addr: i32,
        blocksize: i32,
        data: &[u8],
    ) -> Result<(), OkError> {
        self.try_write_to_block_pipe_in(addr, blocksize, data)
            .map_err(|e| e.to_ok_error())
    }

    pub fn read_from_pipe_out(&self, addr: i32, data: &mut [u8]) -> Result<(), OkError> {
        self.try_read_from_pipe_out(addr, data)
            .map_err(|e| e.to_ok_error())
    }

    pub fn read_from_block_pipe_out(
        &self,
        addr: i32,
        blocksize: i32,
        data: &mut [u8],
    ) -> Result<(), OkError> {
        self.try_read_from_block_pipe_out(addr, blocksize, data)
            .map_err(|e| e.to_ok_error())
    }

    pub fn reset_fpga(&self) -> Result<(), OkError> {
        self.try_reset_fpga().map_err(|e| e.to_ok_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::ErrorName;

    #[test]
    fn pipe_results_map_counts_and_codes() {
        assert!(transfer_result("call", 16, 16).is_ok());
        match transfer_result("call", 16, 8) {
            Err(FrontPanelError::ShortTransfer {
                requested: 16,
                transferred: 8,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        let error = transfer_result("okFrontPanel_ReadFromPipeOut", 16, -2).unwrap_err();
        assert_eq!(error.code(), Some(ErrorName::Timeout.code()));
        assert_eq!(
            error.to_string(),
            "okFrontPanel_ReadFromPipeOut failed: Timeout (-2)"
        );
        assert_eq!(error.to_ok_error(), OkError { code: -2 });
    }

    #[test]
    fn c_strings_reject_interior_nul() {
        assert!(c_string("call", "1234ABC").is_ok());
        let error = c_string("okFrontPanel_OpenBySerial", "12\0").unwrap_err();
        assert_eq!(
            error.to_ok_error().name(),
            Some(ErrorName::InvalidParameter)
        );
    }

    #[test]
    fn rust_string_stops_at_the_first_nul() {
        assert_eq!(
            OkHandle::rust_string(b"XEM7010-A50\0\0garbage"),
            "XEM7010-A50"
        );
        assert_eq!(OkHandle::rust_string(b"no terminator"), "no terminator");
        assert_eq!(OkHandle::rust_string(b"\0"), "");
    }
}
