//! The typed error of the fallible (`try_*`) API.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::codes::{
    ok_ErrorCode, ok_ErrorCode_ok_DeviceNotOpen, ok_ErrorCode_ok_Failed,
    ok_ErrorCode_ok_InvalidParameter, OkError,
};
use crate::library::LIBRARY_ENV;

/// One place the loader tried, and why it did not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadAttempt {
    pub path: PathBuf,
    pub problem: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FrontPanelError {
    /// No usable FrontPanel library in any of the places searched.
    #[error("{}", not_found_message(library, attempts))]
    LibraryNotFound {
        /// The platform's file name of the library (`libokFrontPanel.so`, ...).
        library: &'static str,
        /// Every candidate tried, in search order.
        attempts: Vec<LoadAttempt>,
    },
    /// `okFrontPanel_Construct` returned a null handle.
    #[error("okFrontPanel_Construct returned no handle (library {})", library.display())]
    ConstructFailed { library: PathBuf },
    /// A FrontPanel call returned an error code.
    #[error("{call} failed: {error}")]
    Call { call: &'static str, error: OkError },
    /// A pipe transfer moved fewer bytes than asked for.
    #[error("{call} transferred {transferred} of {requested} bytes")]
    ShortTransfer {
        call: &'static str,
        requested: usize,
        transferred: usize,
    },
    /// An argument FrontPanel cannot take (interior NUL in a string, length out of range).
    #[error("invalid argument to {call}: {reason}")]
    InvalidArgument { call: &'static str, reason: String },
    /// The handle was released with `OkHandle::destruct`.
    #[error("the FrontPanel handle was already destroyed")]
    Destroyed,
}

impl FrontPanelError {
    /// The FrontPanel error code carried by a failed call, if any.
    pub fn code(&self) -> Option<ok_ErrorCode> {
        match self {
            FrontPanelError::Call { error, .. } => Some(error.code),
            _ => None,
        }
    }

    /// The closest legacy `OkError`, for the infallible-constructor API.
    pub fn to_ok_error(&self) -> OkError {
        let code = match self {
            FrontPanelError::Call { error, .. } => error.code,
            FrontPanelError::InvalidArgument { .. } => ok_ErrorCode_ok_InvalidParameter,
            FrontPanelError::Destroyed => ok_ErrorCode_ok_DeviceNotOpen,
            FrontPanelError::LibraryNotFound { .. }
            | FrontPanelError::ConstructFailed { .. }
            | FrontPanelError::ShortTransfer { .. } => ok_ErrorCode_ok_Failed,
        };
        OkError { code }
    }
}

fn not_found_message(library: &str, attempts: &[LoadAttempt]) -> String {
    let mut message =
        format!("the Opal Kelly FrontPanel library {library} could not be loaded; looked in:");
    for attempt in attempts {
        let _ = write!(
            message,
            "\n  {}: {}",
            attempt.path.display(),
            attempt.problem
        );
    }
    let _ = write!(
        message,
        "\nInstall FrontPanel (5.x) or set {LIBRARY_ENV} to the library file or the directory holding it."
    );
    message
}
