//! Typed errors of the library. Every message names the file and the part of it at fault.

use std::path::PathBuf;

use crew_spec::package::PackageError;

use crate::backend::AccelError;

/// What kind of problem an error is; the CLI maps it to an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// A model, description, package or build input is wrong (exit code 2).
    Model,
    /// Running failed (device, reference, bad run-time input) (exit code 1).
    Runtime,
    /// The environment: a file cannot be read or written (exit code 3).
    Environment,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("checkpoint {}: {message}", path.display())]
    Checkpoint { path: PathBuf, message: String },
    #[error("checkpoint {}: tensor {name} is missing{}", path.display(), hint(available))]
    MissingTensor {
        path: PathBuf,
        name: String,
        available: Vec<String>,
    },
    #[error("checkpoint {}: tensor {name} has shape {found:?}, expected {expected}", path.display())]
    TensorShape {
        path: PathBuf,
        name: String,
        found: Vec<usize>,
        expected: String,
    },
    #[error("checkpoint {}: tensor {name} element {index} is {value} (weights must be finite)", path.display())]
    NonFinite {
        path: PathBuf,
        name: String,
        index: usize,
        value: f32,
    },
    #[error("model description {}: {message}", path.display())]
    Description { path: PathBuf, message: String },
    #[error("package {}: {error}", path.display())]
    Package { path: PathBuf, error: PackageError },
    #[error("package {}: section model: {message}", path.display())]
    PackageModel { path: PathBuf, message: String },
    #[error("layer {layer}: {message}")]
    Compile { layer: String, message: String },
    #[error("input {}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    /// The model or package cannot do what was asked (no decoding section, ...).
    #[error("{0}")]
    Usage(String),
    /// A run-time input does not fit the model (tensor shape, ...).
    #[error("{0}")]
    Run(String),
    #[error(transparent)]
    Accel(#[from] AccelError),
}

fn hint(available: &[String]) -> String {
    if available.is_empty() {
        String::new()
    } else {
        format!(" (it holds: {})", available.join(", "))
    }
}

impl Error {
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Io { .. } => ErrorClass::Environment,
            Error::Accel(_) => ErrorClass::Runtime,
            Error::Input { .. } | Error::Run(_) => ErrorClass::Runtime,
            _ => ErrorClass::Model,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
