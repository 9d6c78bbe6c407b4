//! The exported C API: the `okFrontPanel_*` functions rust-hdl-ok-frontpanel-sys resolves,
//! with FrontPanel 5's signatures (okFrontPanel.h) and calling convention (`extern
//! "system"`, DLL_ENTRY), plus the stand-in's device clock (`okFrontPanelSim_*`). Each call
//! runs on the device thread ([`crate::worker`]).

use std::ffi::{c_char, c_int, c_long, c_ulong, c_void, CStr};
use std::path::PathBuf;

use crew_spec::regmap;
use rust_hdl_ok_frontpanel_sys::ErrorName;

use crate::device::Device;
use crate::worker::on_device;
use crate::{DEVICE_ID, SERIAL};

/// `ok_brdXEM7010A50` in okFrontPanel.h's `ok_BoardModel`.
const BOARD_MODEL_XEM7010_A50: c_int = 41;
/// `ok_brdUnknown`.
const BOARD_MODEL_UNKNOWN: c_int = 0;
/// FrontPanel API version this library implements.
const API_VERSION: (c_int, c_int, c_int) = (5, 0, 0);
/// Longest string FrontPanel writes into a caller's buffer, NUL included
/// (OK_MAX_BOARD_MODEL_STRING_LENGTH).
const MAX_STRING_BYTES: usize = 128;

/// What an `okFrontPanel_HANDLE` points to: whether this handle has the device open.
struct Handle {
    open: bool,
}

/// # Safety
/// `raw` is null or a handle from `okFrontPanel_Construct` not yet destructed.
unsafe fn handle<'a>(raw: *mut c_void) -> Option<&'a mut Handle> {
    raw.cast::<Handle>().as_mut()
}

/// Whether the handle has the device open (and the device is still there).
unsafe fn is_open(raw: *mut c_void) -> bool {
    handle(raw).is_some_and(|h| h.open) && on_device(|d| d.present())
}

fn not_open() -> c_int {
    ErrorName::DeviceNotOpen.code()
}

/// Copies `text` NUL-terminated into a caller's buffer of at least MAX_STRING_BYTES.
unsafe fn write_string(buffer: *mut c_char, text: &str) {
    if buffer.is_null() {
        return;
    }
    let bytes = &text.as_bytes()[..text.len().min(MAX_STRING_BYTES - 1)];
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer.cast::<u8>(), bytes.len());
    *buffer.add(bytes.len()) = 0;
}

/// Runs `call` on the device when the handle has it open.
unsafe fn open_call(
    raw: *mut c_void,
    call: impl FnOnce(&mut Device) -> c_int + Send + 'static,
) -> c_int {
    if is_open(raw) {
        on_device(call)
    } else {
        not_open()
    }
}

#[no_mangle]
pub extern "system" fn okFrontPanel_Construct() -> *mut c_void {
    match on_device(|d| d.environment_problem().map(str::to_string)) {
        // The C API has no way to say why; the stand-in is a test device, so it tells.
        Some(problem) => {
            eprintln!("frontpanel-sim: {problem}");
            std::ptr::null_mut()
        }
        None => Box::into_raw(Box::new(Handle { open: false })).cast(),
    }
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_Destruct(raw: *mut c_void) {
    if !raw.is_null() {
        drop(Box::from_raw(raw.cast::<Handle>()));
    }
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_OpenBySerial(
    raw: *mut c_void,
    serial: *const c_char,
) -> c_int {
    let Some(h) = handle(raw) else {
        return not_open();
    };
    let wanted = if serial.is_null() {
        String::new()
    } else {
        CStr::from_ptr(serial).to_string_lossy().into_owned()
    };
    if !wanted.is_empty() && wanted != SERIAL {
        return ErrorName::Failed.code();
    }
    let code = on_device(Device::open);
    if code == ErrorName::NoError.code() {
        h.open = true;
    } else if let Some(problem) = on_device(|d| d.environment_problem().map(str::to_string)) {
        eprintln!("frontpanel-sim: {problem}");
    }
    code
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_Close(raw: *mut c_void) {
    if let Some(h) = handle(raw) {
        h.open = false;
    }
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_GetBoardModel(raw: *mut c_void) -> c_int {
    if is_open(raw) {
        BOARD_MODEL_XEM7010_A50
    } else {
        BOARD_MODEL_UNKNOWN
    }
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_GetBoardModelString(
    _raw: *mut c_void,
    model: c_int,
    buffer: *mut c_char,
) {
    let name = if model == BOARD_MODEL_XEM7010_A50 {
        regmap::BOARD_MODEL
    } else {
        "Unknown"
    };
    write_string(buffer, name);
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_GetSerialNumber(raw: *mut c_void, buffer: *mut c_char) {
    write_string(buffer, if is_open(raw) { SERIAL } else { "" });
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_GetDeviceID(raw: *mut c_void, buffer: *mut c_char) {
    write_string(buffer, if is_open(raw) { DEVICE_ID } else { "" });
}

/// Firmware version of the simulated device: this crate's version.
#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_GetDeviceMajorVersion(raw: *mut c_void) -> c_int {
    if is_open(raw) {
        env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0)
    } else {
        0
    }
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_GetDeviceMinorVersion(raw: *mut c_void) -> c_int {
    if is_open(raw) {
        env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0)
    } else {
        0
    }
}

#[no_mangle]
pub extern "system" fn okFrontPanel_GetAPIVersionMajor() -> c_int {
    API_VERSION.0
}

#[no_mangle]
pub extern "system" fn okFrontPanel_GetAPIVersionMinor() -> c_int {
    API_VERSION.1
}

#[no_mangle]
pub extern "system" fn okFrontPanel_GetAPIVersionMicro() -> c_int {
    API_VERSION.2
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_SetWireInValue(
    raw: *mut c_void,
    ep: c_int,
    val: c_ulong,
    mask: c_ulong,
) -> c_int {
    let (val, mask) = (val as u32, mask as u32);
    open_call(raw, move |d| d.set_wire_in(ep, val, mask))
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_UpdateWireIns(raw: *mut c_void) -> c_int {
    open_call(raw, Device::update_wire_ins)
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_GetWireInValue(
    raw: *mut c_void,
    ep: c_int,
    val: *mut u32,
) -> c_int {
    if !is_open(raw) {
        return not_open();
    }
    match on_device(move |d| d.get_wire_in(ep)) {
        Ok(v) => {
            if let Some(out) = val.as_mut() {
                *out = v;
            }
            ErrorName::NoError.code()
        }
        Err(code) => code,
    }
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_UpdateWireOuts(raw: *mut c_void) -> c_int {
    open_call(raw, Device::update_wire_outs)
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_GetWireOutValue(raw: *mut c_void, ep: c_int) -> c_ulong {
    if !is_open(raw) {
        return 0;
    }
    on_device(move |d| d.get_wire_out(ep)) as c_ulong
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_ConfigureFPGA(
    raw: *mut c_void,
    file: *const c_char,
) -> c_int {
    if file.is_null() {
        return ErrorName::FileError.code();
    }
    let path = PathBuf::from(CStr::from_ptr(file).to_string_lossy().into_owned());
    open_call(raw, move |d| d.configure(&path))
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_ActivateTriggerIn(
    raw: *mut c_void,
    ep: c_int,
    bit: c_int,
) -> c_int {
    open_call(raw, move |d| d.activate_trigger_in(ep, bit))
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_UpdateTriggerOuts(raw: *mut c_void) -> c_int {
    open_call(raw, Device::update_trigger_outs)
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_IsTriggered(
    raw: *mut c_void,
    ep: c_int,
    mask: c_ulong,
) -> c_int {
    let mask = mask as u32;
    c_int::from(is_open(raw) && on_device(move |d| d.is_triggered(ep, mask)))
}

/// The design has block-throttled pipes only; a plain pipe call names no endpoint of it.
#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_WriteToPipeIn(
    raw: *mut c_void,
    _ep: c_int,
    _len: c_long,
    _data: *mut u8,
) -> c_long {
    if is_open(raw) {
        ErrorName::InvalidEndpoint.code().into()
    } else {
        not_open().into()
    }
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_ReadFromPipeOut(
    raw: *mut c_void,
    _ep: c_int,
    _len: c_long,
    _data: *mut u8,
) -> c_long {
    if is_open(raw) {
        ErrorName::InvalidEndpoint.code().into()
    } else {
        not_open().into()
    }
}

/// The checks both block-pipe calls make: an open handle, valid endpoint, block size and
/// length, and a buffer when the length is not zero. Safety: `raw` as for every export.
unsafe fn pipe_arguments(
    raw: *mut c_void,
    ep: c_int,
    block_size: c_int,
    len: c_long,
    data: *mut u8,
) -> Result<(u8, usize, usize), c_long> {
    if !is_open(raw) {
        return Err(not_open().into());
    }
    let ep = u8::try_from(ep).map_err(|_| c_long::from(ErrorName::InvalidEndpoint.code()))?;
    let block = usize::try_from(block_size)
        .map_err(|_| c_long::from(ErrorName::InvalidBlockSize.code()))?;
    let len = usize::try_from(len).map_err(|_| c_long::from(ErrorName::InvalidParameter.code()))?;
    if data.is_null() && len > 0 {
        return Err(ErrorName::InvalidParameter.code().into());
    }
    Ok((ep, block, len))
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_WriteToBlockPipeIn(
    raw: *mut c_void,
    ep: c_int,
    block_size: c_int,
    len: c_long,
    data: *mut u8,
) -> c_long {
    let (ep, block, len) = match pipe_arguments(raw, ep, block_size, len, data) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let bytes = if len == 0 {
        Vec::new()
    } else {
        std::slice::from_raw_parts(data, len).to_vec()
    };
    on_device(move |d| {
        d.block_pipe("WriteToBlockPipeIn", len, |b, faults| {
            b.write_to_block_pipe_in(faults, ep, block, &bytes)
        })
    }) as c_long
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_ReadFromBlockPipeOut(
    raw: *mut c_void,
    ep: c_int,
    block_size: c_int,
    len: c_long,
    data: *mut u8,
) -> c_long {
    let (ep, block, len) = match pipe_arguments(raw, ep, block_size, len, data) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let (returned, bytes) = on_device(move |d| {
        let mut buf = vec![0u8; len];
        let returned = d.block_pipe("ReadFromBlockPipeOut", len, |b, faults| {
            b.read_from_block_pipe_out(faults, ep, block, &mut buf)
        });
        (returned, buf)
    });
    if returned > 0 {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), data, returned as usize);
    }
    returned as c_long
}

/// ResetFPGA pulses the FrontPanel host interface's reset, which the simulated bridge
/// does not model.
#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_ResetFPGA(raw: *mut c_void) -> c_int {
    open_call(raw, |_| ErrorName::UnsupportedFeature.code())
}

/// The XEM7010 has no programmable PLL.
#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_LoadDefaultPLLConfiguration(raw: *mut c_void) -> c_int {
    open_call(raw, |_| ErrorName::UnsupportedFeature.code())
}

#[no_mangle]
pub extern "system" fn okFrontPanel_GetDeviceCount(_raw: *mut c_void) -> c_int {
    c_int::from(on_device(|d| d.present()))
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_GetDeviceListSerial(
    _raw: *mut c_void,
    index: c_int,
    buffer: *mut c_char,
) {
    let listed = index == 0 && on_device(|d| d.present());
    write_string(buffer, if listed { SERIAL } else { "" });
}

#[no_mangle]
pub unsafe extern "system" fn okFrontPanel_SetTimeout(raw: *mut c_void, timeout_ms: c_int) {
    if handle(raw).is_some() {
        let ms = u64::try_from(timeout_ms).unwrap_or(0);
        on_device(move |d| d.set_timeout(ms));
    }
}

/// Device time of the simulated board, nanoseconds (0 when the handle has it not open).
#[no_mangle]
pub unsafe extern "system" fn okFrontPanelSim_GetDeviceTimeNs(raw: *mut c_void) -> u64 {
    if handle(raw).is_some_and(|h| h.open) {
        on_device(|d| d.device_time_ps() / 1_000)
    } else {
        0
    }
}

/// Lets `ns` nanoseconds of device time pass; an `ok_ErrorCode`.
#[no_mangle]
pub unsafe extern "system" fn okFrontPanelSim_WaitNs(raw: *mut c_void, ns: u64) -> c_int {
    open_call(raw, move |d| d.wait_ns(ns))
}
