//! Opal Kelly FrontPanel API, loaded at run time.
//!
//! A drop-in replacement for the SDK-bound `rust-hdl-ok-frontpanel-sys` 0.46 (same
//! public API: `OkHandle`, `OkError`, the `ok_ErrorCode_ok_*` constants,
//! `make_u16_buffer`, `make_u32_buffer`). Instead of linking libokFrontPanel at build
//! time it loads it with `libloading` when the first handle is made, so the crate
//! builds anywhere and reports a `FrontPanelError::LibraryNotFound` listing every
//! place searched when FrontPanel is not installed. See docs/frontpanel.md.
//!
//! The library never prints. New code should use the fallible API (`OkHandle::try_new`
//! and the `try_*` methods); the legacy API exists for rust-hdl-ok-core and the BSP.

mod buffers;
mod codes;
mod error;
mod handle;
mod library;

pub use buffers::{make_u16_buffer, make_u32_buffer};
pub use codes::*;
pub use error::{FrontPanelError, LoadAttempt};
pub use handle::OkHandle;
pub use library::{
    search_locations, search_locations_from_env, FrontPanelLibrary, LIBRARY_ENV, LIBRARY_FILE_NAME,
    SIM_DEVICE_TIME_SYMBOL, SIM_WAIT_SYMBOL,
};
