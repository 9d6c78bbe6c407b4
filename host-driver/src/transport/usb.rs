//! USB enumeration of Opal Kelly boards (vendor 0x151F) with rusb: model, serial,
//! bus/address, and whether this user may open each one. Independent of the FrontPanel
//! library, so it also explains problems FrontPanel would only report as "no device".

use std::time::Duration;

/// Opal Kelly's USB vendor id.
pub const OPAL_KELLY_VENDOR_ID: u16 = 0x151F;
const DESCRIPTOR_TIMEOUT: Duration = Duration::from_millis(500);

/// Whether this process may use a device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Opened and its interface claimed (then released).
    Ok,
    /// The device node is not accessible to this user (udev rules missing).
    PermissionDenied,
    /// Another process holds the device (FrontPanel application, another crew-host).
    Busy,
    /// Opening failed for another reason.
    Failed(String),
}

/// One Opal Kelly device on the bus.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UsbBoard {
    pub bus: u8,
    pub address: u8,
    pub vendor_id: u16,
    pub product_id: u16,
    /// The product string descriptor (e.g. "XEM7010-A50"), when readable.
    pub product: Option<String>,
    /// The serial number descriptor, when readable.
    pub serial: Option<String>,
    pub access: Access,
}

/// USB enumeration failed.
#[derive(Debug, thiserror::Error)]
pub enum UsbError {
    /// libusb cannot start (no USB subsystem, as in most containers).
    #[error("USB is not available: libusb failed to initialise ({error}){}", reason.as_ref().map(|r| format!("; {r}")).unwrap_or_default())]
    Unavailable {
        error: rusb::Error,
        reason: Option<String>,
    },
    #[error("listing USB devices failed: {0}")]
    List(rusb::Error),
}

/// Lists Opal Kelly devices. A system without USB is an error saying why.
pub fn list_boards() -> Result<Vec<UsbBoard>, UsbError> {
    use rusb::UsbContext;
    let context = rusb::Context::new().map_err(|error| UsbError::Unavailable {
        error,
        reason: unavailable_reason(),
    })?;
    let devices = context.devices().map_err(UsbError::List)?;
    let mut boards = Vec::new();
    for device in devices.iter() {
        let Ok(desc) = device.device_descriptor() else {
            continue;
        };
        if desc.vendor_id() != OPAL_KELLY_VENDOR_ID {
            continue;
        }
        let mut board = UsbBoard {
            bus: device.bus_number(),
            address: device.address(),
            vendor_id: desc.vendor_id(),
            product_id: desc.product_id(),
            product: None,
            serial: None,
            access: Access::Ok,
        };
        match device.open() {
            Ok(handle) => {
                let language = handle
                    .read_languages(DESCRIPTOR_TIMEOUT)
                    .ok()
                    .and_then(|l| l.first().copied());
                if let Some(lang) = language {
                    board.product = handle
                        .read_product_string(lang, &desc, DESCRIPTOR_TIMEOUT)
                        .ok();
                    board.serial = handle
                        .read_serial_number_string(lang, &desc, DESCRIPTOR_TIMEOUT)
                        .ok();
                }
                board.access = match handle.claim_interface(0) {
                    Ok(()) => {
                        let _ = handle.release_interface(0);
                        Access::Ok
                    }
                    Err(rusb::Error::Busy) => Access::Busy,
                    Err(rusb::Error::Access) => Access::PermissionDenied,
                    Err(e) => Access::Failed(e.to_string()),
                };
            }
            Err(rusb::Error::Access) => board.access = Access::PermissionDenied,
            Err(rusb::Error::Busy) => board.access = Access::Busy,
            Err(e) => board.access = Access::Failed(e.to_string()),
        }
        boards.push(board);
    }
    Ok(boards)
}

fn unavailable_reason() -> Option<String> {
    if cfg!(target_os = "linux") && !std::path::Path::new("/dev/bus/usb").exists() {
        Some("/dev/bus/usb does not exist (a container without USB passthrough?)".into())
    } else {
        None
    }
}
