//! FrontPanel error codes (`ok_ErrorCode` in okFrontPanel.h), their names, and `OkError`.

#![allow(non_camel_case_types, non_upper_case_globals)]

use std::fmt;

/// The C enum `ok_ErrorCode`; FrontPanel returns these as plain `int`s.
pub type ok_ErrorCode = i32;

pub const ok_ErrorCode_ok_NoError: ok_ErrorCode = 0;
pub const ok_ErrorCode_ok_Failed: ok_ErrorCode = -1;
pub const ok_ErrorCode_ok_Timeout: ok_ErrorCode = -2;
pub const ok_ErrorCode_ok_DoneNotHigh: ok_ErrorCode = -3;
pub const ok_ErrorCode_ok_TransferError: ok_ErrorCode = -4;
pub const ok_ErrorCode_ok_CommunicationError: ok_ErrorCode = -5;
pub const ok_ErrorCode_ok_InvalidBitstream: ok_ErrorCode = -6;
pub const ok_ErrorCode_ok_FileError: ok_ErrorCode = -7;
pub const ok_ErrorCode_ok_DeviceNotOpen: ok_ErrorCode = -8;
pub const ok_ErrorCode_ok_InvalidEndpoint: ok_ErrorCode = -9;
pub const ok_ErrorCode_ok_InvalidBlockSize: ok_ErrorCode = -10;
pub const ok_ErrorCode_ok_I2CRestrictedAddress: ok_ErrorCode = -11;
pub const ok_ErrorCode_ok_I2CBitError: ok_ErrorCode = -12;
pub const ok_ErrorCode_ok_I2CNack: ok_ErrorCode = -13;
pub const ok_ErrorCode_ok_I2CUnknownStatus: ok_ErrorCode = -14;
pub const ok_ErrorCode_ok_UnsupportedFeature: ok_ErrorCode = -15;
pub const ok_ErrorCode_ok_FIFOUnderflow: ok_ErrorCode = -16;
pub const ok_ErrorCode_ok_FIFOOverflow: ok_ErrorCode = -17;
pub const ok_ErrorCode_ok_DataAlignmentError: ok_ErrorCode = -18;
pub const ok_ErrorCode_ok_InvalidResetProfile: ok_ErrorCode = -19;
pub const ok_ErrorCode_ok_InvalidParameter: ok_ErrorCode = -20;

/// The named FrontPanel error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorName {
    NoError,
    Failed,
    Timeout,
    DoneNotHigh,
    TransferError,
    CommunicationError,
    InvalidBitstream,
    FileError,
    DeviceNotOpen,
    InvalidEndpoint,
    InvalidBlockSize,
    I2CRestrictedAddress,
    I2CBitError,
    I2CNack,
    I2CUnknownStatus,
    UnsupportedFeature,
    FIFOUnderflow,
    FIFOOverflow,
    DataAlignmentError,
    InvalidResetProfile,
    InvalidParameter,
}

impl ErrorName {
    /// Every named code, in numeric order from 0 down to -20.
    pub const ALL: [ErrorName; 21] = [
        ErrorName::NoError,
        ErrorName::Failed,
        ErrorName::Timeout,
        ErrorName::DoneNotHigh,
        ErrorName::TransferError,
        ErrorName::CommunicationError,
        ErrorName::InvalidBitstream,
        ErrorName::FileError,
        ErrorName::DeviceNotOpen,
        ErrorName::InvalidEndpoint,
        ErrorName::InvalidBlockSize,
        ErrorName::I2CRestrictedAddress,
        ErrorName::I2CBitError,
        ErrorName::I2CNack,
        ErrorName::I2CUnknownStatus,
        ErrorName::UnsupportedFeature,
        ErrorName::FIFOUnderflow,
        ErrorName::FIFOOverflow,
        ErrorName::DataAlignmentError,
        ErrorName::InvalidResetProfile,
        ErrorName::InvalidParameter,
    ];

    /// The name for a raw code, `None` for a code FrontPanel does not define.
    pub fn from_code(code: ok_ErrorCode) -> Option<ErrorName> {
        Self::ALL.iter().copied().find(|name| name.code() == code)
    }

    /// The raw `ok_ErrorCode` value.
    pub fn code(self) -> ok_ErrorCode {
        match self {
            ErrorName::NoError => ok_ErrorCode_ok_NoError,
            ErrorName::Failed => ok_ErrorCode_ok_Failed,
            ErrorName::Timeout => ok_ErrorCode_ok_Timeout,
            ErrorName::DoneNotHigh => ok_ErrorCode_ok_DoneNotHigh,
            ErrorName::TransferError => ok_ErrorCode_ok_TransferError,
            ErrorName::CommunicationError => ok_ErrorCode_ok_CommunicationError,
            ErrorName::InvalidBitstream => ok_ErrorCode_ok_InvalidBitstream,
            ErrorName::FileError => ok_ErrorCode_ok_FileError,
            ErrorName::DeviceNotOpen => ok_ErrorCode_ok_DeviceNotOpen,
            ErrorName::InvalidEndpoint => ok_ErrorCode_ok_InvalidEndpoint,
            ErrorName::InvalidBlockSize => ok_ErrorCode_ok_InvalidBlockSize,
            ErrorName::I2CRestrictedAddress => ok_ErrorCode_ok_I2CRestrictedAddress,
            ErrorName::I2CBitError => ok_ErrorCode_ok_I2CBitError,
            ErrorName::I2CNack => ok_ErrorCode_ok_I2CNack,
            ErrorName::I2CUnknownStatus => ok_ErrorCode_ok_I2CUnknownStatus,
            ErrorName::UnsupportedFeature => ok_ErrorCode_ok_UnsupportedFeature,
            ErrorName::FIFOUnderflow => ok_ErrorCode_ok_FIFOUnderflow,
            ErrorName::FIFOOverflow => ok_ErrorCode_ok_FIFOOverflow,
            ErrorName::DataAlignmentError => ok_ErrorCode_ok_DataAlignmentError,
            ErrorName::InvalidResetProfile => ok_ErrorCode_ok_InvalidResetProfile,
            ErrorName::InvalidParameter => ok_ErrorCode_ok_InvalidParameter,
        }
    }

    /// The name as spelled in okFrontPanel.h without the `ok_` prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::NoError => "NoError",
            ErrorName::Failed => "Failed",
            ErrorName::Timeout => "Timeout",
            ErrorName::DoneNotHigh => "DoneNotHigh",
            ErrorName::TransferError => "TransferError",
            ErrorName::CommunicationError => "CommunicationError",
            ErrorName::InvalidBitstream => "InvalidBitstream",
            ErrorName::FileError => "FileError",
            ErrorName::DeviceNotOpen => "DeviceNotOpen",
            ErrorName::InvalidEndpoint => "InvalidEndpoint",
            ErrorName::InvalidBlockSize => "InvalidBlockSize",
            ErrorName::I2CRestrictedAddress => "I2CRestrictedAddress",
            ErrorName::I2CBitError => "I2CBitError",
            ErrorName::I2CNack => "I2CNack",
            ErrorName::I2CUnknownStatus => "I2CUnknownStatus",
            ErrorName::UnsupportedFeature => "UnsupportedFeature",
            ErrorName::FIFOUnderflow => "FIFOUnderflow",
            ErrorName::FIFOOverflow => "FIFOOverflow",
            ErrorName::DataAlignmentError => "DataAlignmentError",
            ErrorName::InvalidResetProfile => "InvalidResetProfile",
            ErrorName::InvalidParameter => "InvalidParameter",
        }
    }
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Human-readable form of a raw code: `"Timeout (-2)"`, or
/// `"unknown FrontPanel error code (-42)"` for codes okFrontPanel.h does not define.
pub fn describe(code: ok_ErrorCode) -> String {
    match ErrorName::from_code(code) {
        Some(name) => format!("{name} ({code})"),
        None => format!("unknown FrontPanel error code ({code})"),
    }
}

/// An error code returned by a FrontPanel call (the legacy error type of this crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OkError {
    pub code: ok_ErrorCode,
}

impl OkError {
    /// `Ok(())` for `ok_NoError`, otherwise the code as an error.
    pub fn make_result(val: i32) -> Result<(), OkError> {
        if val == ok_ErrorCode_ok_NoError {
            Ok(())
        } else {
            Err(OkError { code: val })
        }
    }

    /// The name of the code, `None` if FrontPanel does not define it.
    pub fn name(&self) -> Option<ErrorName> {
        ErrorName::from_code(self.code)
    }
}

impl fmt::Display for OkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(self.code))
    }
}

impl std::error::Error for OkError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_header_name_and_value() {
        // Values as in okFrontPanel.h's `ok_ErrorCode` enum.
        let expected: [(&str, i32); 21] = [
            ("NoError", 0),
            ("Failed", -1),
            ("Timeout", -2),
            ("DoneNotHigh", -3),
            ("TransferError", -4),
            ("CommunicationError", -5),
            ("InvalidBitstream", -6),
            ("FileError", -7),
            ("DeviceNotOpen", -8),
            ("InvalidEndpoint", -9),
            ("InvalidBlockSize", -10),
            ("I2CRestrictedAddress", -11),
            ("I2CBitError", -12),
            ("I2CNack", -13),
            ("I2CUnknownStatus", -14),
            ("UnsupportedFeature", -15),
            ("FIFOUnderflow", -16),
            ("FIFOOverflow", -17),
            ("DataAlignmentError", -18),
            ("InvalidResetProfile", -19),
            ("InvalidParameter", -20),
        ];
        for (name, code) in expected {
            let found = ErrorName::from_code(code).expect("named code");
            assert_eq!(found.as_str(), name);
            assert_eq!(found.code(), code);
            assert_eq!(describe(code), format!("{name} ({code})"));
            assert_eq!(OkError { code }.to_string(), format!("{name} ({code})"));
        }
        assert_eq!(ErrorName::ALL.len(), expected.len());
    }

    #[test]
    fn legacy_constants_match_names() {
        assert_eq!(ok_ErrorCode_ok_Timeout, ErrorName::Timeout.code());
        assert_eq!(
            ok_ErrorCode_ok_InvalidParameter,
            ErrorName::InvalidParameter.code()
        );
        assert_eq!(
            ok_ErrorCode_ok_DataAlignmentError,
            ErrorName::DataAlignmentError.code()
        );
        assert_eq!(ok_ErrorCode_ok_NoError, 0);
    }

    #[test]
    fn unknown_codes_say_so() {
        for code in [1, 5, -21, -42, i32::MIN, i32::MAX] {
            assert_eq!(ErrorName::from_code(code), None);
            assert_eq!(
                describe(code),
                format!("unknown FrontPanel error code ({code})")
            );
            assert_eq!(OkError { code }.name(), None);
        }
    }

    #[test]
    fn make_result_passes_codes_through() {
        assert_eq!(OkError::make_result(0), Ok(()));
        assert_eq!(OkError::make_result(-2), Err(OkError { code: -2 }));
        assert_eq!(OkError::make_result(7), Err(OkError { code: 7 }));
    }
}
