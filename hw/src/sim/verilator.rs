//! A rust-hdl block's generated Verilog compiled by Verilator into a shared library and
//! driven from Rust through a small C ABI: ports by index, one `eval` per change, an
//! optional VCD trace. This is the Verilog that goes into the FPGA, run as a compiled
//! simulator (as LiteX's litex_sim and cocotb do), instead of rust-hdl's `simulate()`.
//!
//! Builds are cached: the key is a hash of the Verilog, the generated shim, the Verilator
//! version and the build flags, so a changed design always gets a new build and an
//! unchanged one is compiled once per machine. The cache lives in `CREW_VERILATOR_CACHE`,
//! else `$XDG_CACHE_HOME/crew-verilator`, else `~/.cache/crew-verilator`.

use crate::sim::ports::{top_ports, Port};
use crate::sim::schedule::{
    isolate_assignments, sampling_wrapper, SAMPLED_TOP, SAMPLE_INPUTS_PORT,
};
use crate::sim::shim::shim_source;
use rust_hdl::prelude::*;
use sha2::{Digest, Sha256};
use std::ffi::{c_char, c_void, CString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

/// Environment variable naming the build cache directory.
pub const CACHE_ENV: &str = "CREW_VERILATOR_CACHE";

/// Debian packages the Verilator backend needs.
pub const INSTALL_HINT: &str = "apt-get install verilator g++ make (scripts/test.sh does it)";

/// Errors of building or loading a Verilator model.
#[derive(Debug, thiserror::Error)]
pub enum VerilatorError {
    #[error("`{tool}` was not found on PATH; the Verilator backend needs it: {INSTALL_HINT}")]
    ToolMissing { tool: &'static str },
    #[error("{tool} failed building the Verilator model; log: {}", log.display())]
    BuildFailed { tool: &'static str, log: PathBuf },
    #[error("Verilator build cache {}: {error}", dir.display())]
    Io { dir: PathBuf, error: std::io::Error },
    #[error("loading the Verilator model {}: {error}", path.display())]
    Load {
        path: PathBuf,
        error: libloading::Error,
    },
    #[error("the design has no port named `{0}`")]
    NoSuchPort(String),
    #[error("port `{name}` is {width} bits wide; at most 128 are supported")]
    PortTooWide { name: String, width: usize },
}

// Errors compare by what they say (io and libloading errors have no equality).
impl PartialEq for VerilatorError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for VerilatorError {}

/// Build options that change the compiled model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BuildOptions {
    /// Compile with `--trace` so the model can write a VCD.
    pub trace: bool,
    /// Feed every input but the clocks through a register clocked by the extra input
    /// [`SAMPLE_INPUTS_PORT`] (see [`crate::sim::schedule::sampling_wrapper`]).
    pub sample_inputs: bool,
    /// With `sample_inputs`: these inputs' registers also load on a clock's rising edge.
    pub edge_loaded: Option<EdgeLoaded>,
}

/// Inputs named `{prefix}...` whose sampling registers also load on the rising edge of
/// the clock input `clock`, like the registered outputs of the block that drives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EdgeLoaded {
    pub prefix: &'static str,
    pub clock: &'static str,
}

/// A compiled model, ready to instantiate.
pub struct VerilatedLibrary {
    api: Arc<Api>,
    ports: Vec<Port>,
    inputs: Vec<bool>,
    path: PathBuf,
    build_seconds: Option<f64>,
}

struct Api {
    new: unsafe extern "C" fn() -> *mut c_void,
    delete: unsafe extern "C" fn(*mut c_void),
    eval: unsafe extern "C" fn(*mut c_void),
    set: unsafe extern "C" fn(*mut c_void, u32, u64, u64),
    get: unsafe extern "C" fn(*mut c_void, u32, *mut u64),
    trace_open: unsafe extern "C" fn(*mut c_void, *const c_char) -> i32,
    trace_dump: unsafe extern "C" fn(*mut c_void, u64),
    trace_close: unsafe extern "C" fn(*mut c_void),
    // Keeps the functions above valid.
    _library: libloading::Library,
}

impl VerilatedLibrary {
    /// Generates `block`'s Verilog ([`crate::sim::ports::verilog_of`]) and
    /// returns its compiled model, building it first unless the cache has it.
    /// `edit`, if given, changes the Verilog first.
    pub fn for_block<B: Block>(
        block: &B,
        options: BuildOptions,
        edit: Option<&dyn Fn(String) -> String>,
    ) -> Result<Self, VerilatorError> {
        let mut verilog = crate::sim::ports::verilog_of(block);
        if let Some(edit) = edit {
            verilog = edit(verilog);
        }
        let mut verilog = isolate_assignments(&verilog);
        let (mut inputs, outputs) = top_ports(block);
        let top_module = if options.sample_inputs {
            verilog += &sampling_wrapper(&inputs, &outputs, options.edge_loaded);
            inputs.push(Port {
                name: SAMPLE_INPUTS_PORT.to_string(),
                width: 1,
                clock: true,
            });
            SAMPLED_TOP
        } else {
            "top"
        };
        let mut ports = Vec::new();
        let mut is_input = Vec::new();
        for p in inputs {
            ports.push(p);
            is_input.push(true);
        }
        for p in outputs {
            ports.push(p);
            is_input.push(false);
        }
        if let Some(p) = ports.iter().find(|p| p.width > 128) {
            return Err(VerilatorError::PortTooWide {
                name: p.name.clone(),
                width: p.width,
            });
        }
        let shim = shim_source(&ports, &is_input);
        let (path, build_seconds) = build_cached(&verilog, &shim, top_module, options)?;
        // SAFETY: `path` is the shim library this process just built (or found in the cache
        // under the hash of its sources): its symbols have the signatures `Api` declares,
        // and loading it runs no initialisers beyond the C++ runtime's.
        let api = unsafe { load(&path)? };
        Ok(VerilatedLibrary {
            api: Arc::new(api),
            ports,
            inputs: is_input,
            path,
            build_seconds,
        })
    }

    /// Seconds the build took, or None when the model came from the cache.
    pub fn build_seconds(&self) -> Option<f64> {
        self.build_seconds
    }

    /// The shared library file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Index of port `name` (Verilog name, e.g. `dram$address`).
    pub fn port(&self, name: &str) -> Result<PortIndex, VerilatorError> {
        self.ports
            .iter()
            .position(|p| p.name == name)
            .map(|k| PortIndex(k as u32))
            .ok_or_else(|| VerilatorError::NoSuchPort(name.to_string()))
    }

    /// The ports, inputs first (as `top_ports` lists them).
    pub fn ports(&self) -> impl Iterator<Item = (&Port, bool)> {
        self.ports.iter().zip(self.inputs.iter().copied())
    }

    /// A new instance of the design, in its power-up state (registers and memories 0,
    /// `initial` blocks applied at the first eval).
    pub fn instantiate(&self) -> VerilatedModel {
        // SAFETY: argument-less constructor of the loaded shim; `self.api` keeps the
        // library loaded for as long as any model made here lives.
        let handle = unsafe { (self.api.new)() };
        assert!(!handle.is_null(), "the Verilator shim returned no model");
        VerilatedModel {
            api: self.api.clone(),
            handle,
        }
    }
}

/// Index of a port of a [`VerilatedLibrary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortIndex(u32);

/// One instance of a compiled design.
pub struct VerilatedModel {
    api: Arc<Api>,
    handle: *mut c_void,
}

// SAFETY: the model is plain memory owned by this value (its own VerilatedContext); the
// shim keeps no global or thread-local state, and `&mut self` on every mutating call keeps
// calls from overlapping.
unsafe impl Send for VerilatedModel {}

impl VerilatedModel {
    /// Sets input `port` (the low `width` bits of `value`); takes effect at the next eval.
    #[inline]
    pub fn set(&mut self, port: PortIndex, value: u128) {
        // SAFETY: valid handle (freed only in Drop); the shim ignores unknown port numbers.
        unsafe { (self.api.set)(self.handle, port.0, value as u64, (value >> 64) as u64) }
    }

    /// The current value of `port`.
    #[inline]
    pub fn get(&self, port: PortIndex) -> u128 {
        let mut words = [0u64; 2];
        // SAFETY: valid handle; `words` has the two u64 the shim writes (zero for unknown
        // port numbers).
        unsafe { (self.api.get)(self.handle, port.0, words.as_mut_ptr()) };
        words[0] as u128 | (words[1] as u128) << 64
    }

    /// Evaluates the design: clocked blocks on the edges since the last eval, then the
    /// combinational logic until it settles.
    #[inline]
    pub fn eval(&mut self) {
        // SAFETY: valid handle.
        unsafe { (self.api.eval)(self.handle) }
    }

    /// Starts a VCD trace into `path` (needs a model built with `BuildOptions::trace`).
    pub fn trace_to(&mut self, path: &Path) -> std::io::Result<()> {
        let c = CString::new(path.to_string_lossy().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        // SAFETY: valid handle and a NUL-terminated path that outlives the call (the shim
        // opens the file during the call and keeps no pointer to the string).
        match unsafe { (self.api.trace_open)(self.handle, c.as_ptr()) } {
            0 => Ok(()),
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "this Verilator model was built without --trace",
            )),
        }
    }

    /// Writes the traced signals at `time_ps` (no-op without a trace).
    #[inline]
    pub fn trace_dump(&mut self, time_ps: u64) {
        // SAFETY: valid handle; a no-op in the shim when no trace is open.
        unsafe { (self.api.trace_dump)(self.handle, time_ps) }
    }
}

impl Drop for VerilatedModel {
    fn drop(&mut self) {
        // SAFETY: the handle is valid and used for the last time: the trace is closed
        // (a no-op when none is open) before the model it traces is deleted.
        unsafe {
            (self.api.trace_close)(self.handle);
            (self.api.delete)(self.handle);
        }
    }
}

/// Loads the shim library at `path` and looks up its functions.
///
/// # Safety
/// `path` must be a shim built by this module (`shim_source`): the symbols are cast to
/// the signatures of [`Api`] unchecked, and the library's initialisers run on load.
unsafe fn load(path: &Path) -> Result<Api, VerilatorError> {
    let err = |error| VerilatorError::Load {
        path: path.to_path_buf(),
        error,
    };
    let library = libloading::Library::new(path).map_err(err)?;
    macro_rules! sym {
        ($name:literal) => {
            *library.get(concat!($name, "\0").as_bytes()).map_err(err)?
        };
    }
    Ok(Api {
        new: sym!("crew_sim_new"),
        delete: sym!("crew_sim_delete"),
        eval: sym!("crew_sim_eval"),
        set: sym!("crew_sim_set"),
        get: sym!("crew_sim_get"),
        trace_open: sym!("crew_sim_trace_open"),
        trace_dump: sym!("crew_sim_trace_dump"),
        trace_close: sym!("crew_sim_trace_close"),
        _library: library,
    })
}

fn which(tool: &'static str) -> Result<PathBuf, VerilatorError> {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .ok_or(VerilatorError::ToolMissing { tool })
}

/// Whether the tools the backend needs are on PATH; the first missing one otherwise.
pub fn tools_available() -> Result<(), VerilatorError> {
    for tool in ["verilator", "g++", "make"] {
        which(tool)?;
    }
    Ok(())
}

/// The build cache directory (see the module documentation).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(CACHE_ENV) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("crew-verilator");
    }
    if let Some(home) = std::env::var_os("HOME") {
        return PathBuf::from(home).join(".cache").join("crew-verilator");
    }
    std::env::temp_dir().join("crew-verilator")
}

const LIBRARY_FILE: &str = "libcrewsim.so";

const VERILATOR_FLAGS: &[&str] = &[
    "--cc",
    "-O3",
    "--default-language",
    "1364-2005",
    "--x-initial",
    "0",
    "--x-assign",
    "0",
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
    "--prefix",
    "Vcore",
    "-CFLAGS",
    "-fPIC",
    // Verilator's default make flags optimize for size (-Os); the hot model code
    // runs about twice as fast at -O2.
    "-MAKEFLAGS",
    "OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2",
];

/// Returns the library for this Verilog and shim, building it unless cached, and the
/// build time when it was built now.
fn build_cached(
    verilog: &str,
    shim: &str,
    top_module: &str,
    options: BuildOptions,
) -> Result<(PathBuf, Option<f64>), VerilatorError> {
    let verilator = which("verilator")?;
    which("g++")?;
    which("make")?;
    let version = Command::new(&verilator)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    for part in [
        verilog,
        shim,
        &version,
        &format!("{VERILATOR_FLAGS:?} {top_module} {options:?}"),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let key: String = hasher.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let cache = cache_dir();
    let io = |dir: &Path| {
        let dir = dir.to_path_buf();
        move |error| VerilatorError::Io { dir, error }
    };
    std::fs::create_dir_all(&cache).map_err(io(&cache))?;
    let final_dir = cache.join(&key);
    let library = final_dir.join(LIBRARY_FILE);
    if library.is_file() {
        return Ok((library, None));
    }
    // One builder per key across processes and threads; the others wait for it.
    let lock_path = cache.join(format!("{key}.lock"));
    let lock = std::fs::File::create(&lock_path).map_err(io(&lock_path))?;
    lock.lock().map_err(io(&lock_path))?;
    if library.is_file() {
        return Ok((library, None));
    }
    let started = Instant::now();
    let work = cache.join(format!("{key}.building"));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(io(&work))?;
    std::fs::write(work.join("core.v"), verilog).map_err(io(&work))?;
    std::fs::write(work.join("shim.cpp"), shim).map_err(io(&work))?;
    let log_path = work.join("build.log");
    let mut log = String::new();
    // `--exe` with `-shared` links the shim, the model and the Verilator runtime into
    // one shared library.
    let mut verilate = Command::new(&verilator);
    verilate.current_dir(&work).args(VERILATOR_FLAGS).args([
        "--top-module",
        top_module,
        "-Mdir",
        "obj",
        "--exe",
        "--build",
        "-j",
        "2",
        "-o",
        &format!("../{LIBRARY_FILE}"),
        "-LDFLAGS",
        "-shared -Wl,--exclude-libs,ALL",
    ]);
    if options.trace {
        verilate.arg("--trace");
    }
    verilate.args(["core.v", "shim.cpp"]);
    run_logged("verilator", &mut verilate, &mut log, &log_path)?;
    std::fs::write(&log_path, &log).map_err(io(&work))?;
    // Keep only what loading needs, then publish the directory in one rename.
    let _ = std::fs::remove_dir_all(work.join("obj"));
    std::fs::rename(&work, &final_dir).map_err(io(&final_dir))?;
    drop(lock);
    let _ = std::fs::remove_file(&lock_path);
    Ok((library, Some(started.elapsed().as_secs_f64())))
}

fn run_logged(
    tool: &'static str,
    cmd: &mut Command,
    log: &mut String,
    log_path: &Path,
) -> Result<(), VerilatorError> {
    let _ = writeln!(log, "$ {cmd:?}");
    let output = cmd.output().map_err(|error| VerilatorError::Io {
        dir: log_path.to_path_buf(),
        error,
    })?;
    log.push_str(&String::from_utf8_lossy(&output.stdout));
    log.push_str(&String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        let _ = std::fs::write(log_path, &*log);
        return Err(VerilatorError::BuildFailed {
            tool,
            log: log_path.to_path_buf(),
        });
    }
    Ok(())
}
