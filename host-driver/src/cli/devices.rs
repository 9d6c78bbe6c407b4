//! `crew-host devices [--json]`: Opal Kelly boards on USB (rusb), whether this user may
//! open them, and whether the FrontPanel library loads. Listing is informational: it
//! exits 0 also when it finds nothing, and says why.

use crew_host::transport::usb::{self, Access, UsbBoard};
use rust_hdl_ok_frontpanel_sys::FrontPanelLibrary;
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report {
    boards: Vec<UsbBoard>,
    /// Why USB could not be listed, if it could not.
    usb_error: Option<String>,
    /// The FrontPanel library loaded (path), or why not.
    frontpanel_library: Result<String, String>,
    hints: Vec<String>,
}

const UDEV_HINT: &str =
    "let this user open the board: sudo scripts/install-udev-rules.sh (then replug it)";
const BUSY_HINT: &str =
    "another process holds the board (FrontPanel application, another crew-host): close it";
const LIBRARY_HINT: &str = "install Opal Kelly FrontPanel 5.x or point OK_FRONTPANEL_LIB at \
     libokFrontPanel (docs/frontpanel.md); needed to configure and use boards";

pub fn run(args: Args) -> crew_host::Result<()> {
    let (boards, usb_error) = match usb::list_boards() {
        Ok(b) => (b, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let frontpanel_library = FrontPanelLibrary::load()
        .map(|l| l.path().display().to_string())
        .map_err(|e| e.to_string());
    let mut hints = Vec::new();
    if boards.iter().any(|b| b.access == Access::PermissionDenied) {
        hints.push(UDEV_HINT.to_string());
    }
    if boards.iter().any(|b| b.access == Access::Busy) {
        hints.push(BUSY_HINT.to_string());
    }
    if frontpanel_library.is_err() {
        hints.push(LIBRARY_HINT.to_string());
    }
    let report = Report {
        boards,
        usb_error,
        frontpanel_library,
        hints,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serializes")
        );
        return Ok(());
    }
    if report.boards.is_empty() {
        match &report.usb_error {
            Some(e) => println!("no boards found: {e}"),
            None => println!("no boards found (no USB device with vendor id 0x151F)"),
        }
    }
    for b in &report.boards {
        let access = match &b.access {
            Access::Ok => "ok".to_string(),
            Access::PermissionDenied => "permission denied".to_string(),
            Access::Busy => "busy (claimed by another process)".to_string(),
            Access::Failed(e) => format!("cannot open: {e}"),
        };
        println!(
            "{:<14} serial {:<12} bus {:03} address {:03} (id {:04x}:{:04x})  access: {access}",
            b.product.as_deref().unwrap_or("Opal Kelly board"),
            b.serial.as_deref().unwrap_or("?"),
            b.bus,
            b.address,
            b.vendor_id,
            b.product_id,
        );
    }
    match &report.frontpanel_library {
        Ok(path) => println!("FrontPanel library: {path}"),
        Err(_) => println!("FrontPanel library: not found"),
    }
    for h in &report.hints {
        println!("hint: {h}");
    }
    Ok(())
}
