//! Finding and loading libokFrontPanel at run time, and resolving the C API from it.

use std::ffi::{c_char, c_int, c_long, c_ulong, c_void, OsStr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use libloading::Library;

use crate::error::{FrontPanelError, LoadAttempt};

/// Environment variable naming the library file, or a directory holding it. When set,
/// it is the only place searched.
pub const LIBRARY_ENV: &str = "OK_FRONTPANEL_LIB";

/// The platform's file name of the FrontPanel shared library.
#[cfg(target_os = "windows")]
pub const LIBRARY_FILE_NAME: &str = "okFrontPanel.dll";
#[cfg(target_os = "macos")]
pub const LIBRARY_FILE_NAME: &str = "libokFrontPanel.dylib";
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
pub const LIBRARY_FILE_NAME: &str = "libokFrontPanel.so";

/// `okFrontPanel_HANDLE` (an opaque pointer in FrontPanel 5).
pub(crate) type RawHandle = *mut c_void;

// Declares the table of C functions and how to resolve it. `extern "system"` is
// `__stdcall` on 32-bit Windows (FrontPanel's DLL_ENTRY) and the C ABI elsewhere.
macro_rules! frontpanel_functions {
    ($($field:ident = $symbol:literal : fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        pub(crate) struct Functions {
            $(pub(crate) $field: unsafe extern "system" fn($($arg),*) $(-> $ret)?,)*
        }

        impl Functions {
            /// Resolves every function; on failure names the missing symbol.
            ///
            /// # Safety
            /// `library` must be a FrontPanel library whose functions have these signatures.
            unsafe fn resolve(library: &Library) -> Result<Functions, String> {
                Ok(Functions {
                    $($field: *library
                        .get::<unsafe extern "system" fn($($arg),*) $(-> $ret)?>(
                            concat!($symbol, "\0").as_bytes(),
                        )
                        .map_err(|e| format!("missing symbol {}: {e}", $symbol))?,)*
                })
            }
        }
    };
}

frontpanel_functions! {
    construct = "okFrontPanel_Construct": fn() -> RawHandle;
    destruct = "okFrontPanel_Destruct": fn(RawHandle);
    open_by_serial = "okFrontPanel_OpenBySerial": fn(RawHandle, *const c_char) -> c_int;
    close = "okFrontPanel_Close": fn(RawHandle);
    get_board_model = "okFrontPanel_GetBoardModel": fn(RawHandle) -> c_int;
    get_board_model_string = "okFrontPanel_GetBoardModelString": fn(RawHandle, c_int, *mut c_char);
    get_serial_number = "okFrontPanel_GetSerialNumber": fn(RawHandle, *mut c_char);
    get_device_id = "okFrontPanel_GetDeviceID": fn(RawHandle, *mut c_char);
    get_device_major_version = "okFrontPanel_GetDeviceMajorVersion": fn(RawHandle) -> c_int;
    get_device_minor_version = "okFrontPanel_GetDeviceMinorVersion": fn(RawHandle) -> c_int;
    get_api_version_major = "okFrontPanel_GetAPIVersionMajor": fn() -> c_int;
    get_api_version_minor = "okFrontPanel_GetAPIVersionMinor": fn() -> c_int;
    get_api_version_micro = "okFrontPanel_GetAPIVersionMicro": fn() -> c_int;
    set_wire_in_value = "okFrontPanel_SetWireInValue": fn(RawHandle, c_int, c_ulong, c_ulong) -> c_int;
    update_wire_ins = "okFrontPanel_UpdateWireIns": fn(RawHandle) -> c_int;
    get_wire_in_value = "okFrontPanel_GetWireInValue": fn(RawHandle, c_int, *mut u32) -> c_int;
    update_wire_outs = "okFrontPanel_UpdateWireOuts": fn(RawHandle) -> c_int;
    get_wire_out_value = "okFrontPanel_GetWireOutValue": fn(RawHandle, c_int) -> c_ulong;
    configure_fpga = "okFrontPanel_ConfigureFPGA": fn(RawHandle, *const c_char) -> c_int;
    activate_trigger_in = "okFrontPanel_ActivateTriggerIn": fn(RawHandle, c_int, c_int) -> c_int;
    update_trigger_outs = "okFrontPanel_UpdateTriggerOuts": fn(RawHandle) -> c_int;
    is_triggered = "okFrontPanel_IsTriggered": fn(RawHandle, c_int, c_ulong) -> c_int;
    write_to_pipe_in = "okFrontPanel_WriteToPipeIn": fn(RawHandle, c_int, c_long, *mut u8) -> c_long;
    write_to_block_pipe_in = "okFrontPanel_WriteToBlockPipeIn": fn(RawHandle, c_int, c_int, c_long, *mut u8) -> c_long;
    read_from_pipe_out = "okFrontPanel_ReadFromPipeOut": fn(RawHandle, c_int, c_long, *mut u8) -> c_long;
    read_from_block_pipe_out = "okFrontPanel_ReadFromBlockPipeOut": fn(RawHandle, c_int, c_int, c_long, *mut u8) -> c_long;
    reset_fpga = "okFrontPanel_ResetFPGA": fn(RawHandle) -> c_int;
    load_default_pll_configuration = "okFrontPanel_LoadDefaultPLLConfiguration": fn(RawHandle) -> c_int;
    get_device_count = "okFrontPanel_GetDeviceCount": fn(RawHandle) -> c_int;
    get_device_list_serial = "okFrontPanel_GetDeviceListSerial": fn(RawHandle, c_int, *mut c_char);
    set_timeout = "okFrontPanel_SetTimeout": fn(RawHandle, c_int);
}

/// Device-clock functions only the frontpanel-sim stand-in exports (FrontPanel has no
/// such calls): a simulated board's time runs only as far as it is simulated, so the host
/// reads that time and waits through it instead of through the wall clock.
pub(crate) struct SimulatedClock {
    /// Device time of the open device, nanoseconds.
    pub(crate) device_time_ns: unsafe extern "system" fn(RawHandle) -> u64,
    /// Lets this many nanoseconds of device time pass; an `ok_ErrorCode`.
    pub(crate) wait_ns: unsafe extern "system" fn(RawHandle, u64) -> c_int,
}

/// Symbol of [`SimulatedClock::device_time_ns`].
pub const SIM_DEVICE_TIME_SYMBOL: &str = "okFrontPanelSim_GetDeviceTimeNs";
/// Symbol of [`SimulatedClock::wait_ns`].
pub const SIM_WAIT_SYMBOL: &str = "okFrontPanelSim_WaitNs";

impl SimulatedClock {
    /// Both functions, or `None` for a FrontPanel library (which has neither).
    ///
    /// # Safety
    /// When present, the symbols must have these signatures.
    unsafe fn resolve(library: &Library) -> Option<SimulatedClock> {
        let device_time = format!("{SIM_DEVICE_TIME_SYMBOL}\0");
        let wait = format!("{SIM_WAIT_SYMBOL}\0");
        Some(SimulatedClock {
            device_time_ns: *library.get(device_time.as_bytes()).ok()?,
            wait_ns: *library.get(wait.as_bytes()).ok()?,
        })
    }
}

/// A loaded FrontPanel library with its C API resolved.
pub struct FrontPanelLibrary {
    path: PathBuf,
    pub(crate) functions: Functions,
    pub(crate) simulated_clock: Option<SimulatedClock>,
    // Declared last so it is dropped after nothing can call through `functions`.
    _library: Library,
}

/// The library loaded by `FrontPanelLibrary::load`; only successes are kept, so a
/// later call after installing FrontPanel (or fixing OK_FRONTPANEL_LIB) can succeed.
static LOADED: Mutex<Option<Arc<FrontPanelLibrary>>> = Mutex::new(None);

impl FrontPanelLibrary {
    /// The process-wide library: loaded on first success from the places
    /// `search_locations_from_env` lists, then shared.
    pub fn load() -> Result<Arc<FrontPanelLibrary>, FrontPanelError> {
        let mut slot = LOADED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(library) = slot.as_ref() {
            return Ok(Arc::clone(library));
        }
        let library = Arc::new(Self::load_first(&search_locations_from_env())?);
        *slot = Some(Arc::clone(&library));
        Ok(library)
    }

    /// Loads the first candidate that opens and provides the whole API.
    pub fn load_first(candidates: &[PathBuf]) -> Result<FrontPanelLibrary, FrontPanelError> {
        let mut attempts = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            match Self::open(candidate) {
                Ok(library) => return Ok(library),
                Err(problem) => attempts.push(LoadAttempt {
                    path: candidate.clone(),
                    problem,
                }),
            }
        }
        Err(FrontPanelError::LibraryNotFound {
            library: LIBRARY_FILE_NAME,
            attempts,
        })
    }

    /// Loads one library file (a bare file name goes through the system loader path).
    pub fn load_from(path: &Path) -> Result<FrontPanelLibrary, FrontPanelError> {
        Self::load_first(&[path.to_path_buf()])
    }

    fn open(candidate: &Path) -> Result<FrontPanelLibrary, String> {
        let bare_name = !matches!(candidate.parent(), Some(dir) if !dir.as_os_str().is_empty());
        if !bare_name && !candidate.exists() {
            return Err("not found".into());
        }
        // SAFETY: loading runs the library's initialisers; a FrontPanel library's are
        // benign. The resolved signatures are those of okFrontPanel.h (FrontPanel 5).
        unsafe {
            let library = Library::new(candidate).map_err(|e| {
                if bare_name {
                    format!("not on the system loader path ({e})")
                } else {
                    format!("cannot be loaded ({e})")
                }
            })?;
            let functions = Functions::resolve(&library)
                .map_err(|missing| format!("not a usable FrontPanel 5 library ({missing})"))?;
            let simulated_clock = SimulatedClock::resolve(&library);
            Ok(FrontPanelLibrary {
                path: candidate.to_path_buf(),
                functions,
                simulated_clock,
                _library: library,
            })
        }
    }

    /// Where the library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the library drives a simulated board with its own device clock (the
    /// frontpanel-sim stand-in) rather than hardware.
    pub fn is_simulated(&self) -> bool {
        self.simulated_clock.is_some()
    }

    /// The FrontPanel API version (major, minor, micro) of the loaded library.
    pub fn api_version(&self) -> (i32, i32, i32) {
        // SAFETY: argument-less queries of the loaded library.
        unsafe {
            (
                (self.functions.get_api_version_major)(),
                (self.functions.get_api_version_minor)(),
                (self.functions.get_api_version_micro)(),
            )
        }
    }
}

/// The candidate library paths for the current environment: `OK_FRONTPANEL_LIB`
/// alone when set, otherwise the usual install locations (see `search_locations`).
pub fn search_locations_from_env() -> Vec<PathBuf> {
    let override_path = std::env::var_os(LIBRARY_ENV).filter(|v| !v.is_empty());
    let fp_path = std::env::var_os("FP_PATH").filter(|v| !v.is_empty());
    search_locations(override_path.as_deref(), fp_path.as_deref())
}

/// The candidate library paths, in search order.
///
/// With `override_path` (the value of OK_FRONTPANEL_LIB) only that is searched: the
/// file itself, or `LIBRARY_FILE_NAME` inside it when it is a directory. Otherwise:
/// the FrontPanel install named by `fp_path` (run-time FP_PATH) and by the FP_PATH
/// this crate was built with (.cargo/config.toml), each as `<root>`, `<root>/API`,
/// `<root>/API/lib`, `<root>/lib`, and `API`, `API/lib` next to `<root>` (FP_PATH
/// usually names the FrontPanelHDL folder of the install); the system library
/// directories; every
/// `/opt/FrontPanel*` install; the FrontPanelUSB folder under Program Files on
/// Windows; and finally the bare file name, which the system loader resolves through
/// its own path (LD_LIBRARY_PATH, ld.so.cache, PATH on Windows). The working directory
/// is never searched: a library planted there would run with the user's rights
/// (CWE-427, uncontrolled search path).
pub fn search_locations(override_path: Option<&OsStr>, fp_path: Option<&OsStr>) -> Vec<PathBuf> {
    if let Some(path) = override_path {
        let path = PathBuf::from(path);
        return if path.is_dir() {
            vec![path.join(LIBRARY_FILE_NAME)]
        } else {
            vec![path]
        };
    }

    let mut dirs: Vec<PathBuf> = Vec::new();
    let build_time_fp_path = option_env!("FP_PATH").map(OsStr::new);
    for root in fp_path.into_iter().chain(build_time_fp_path) {
        let root = PathBuf::from(root);
        dirs.extend([
            root.clone(),
            root.join("API"),
            root.join("API").join("lib"),
            root.join("lib"),
        ]);
        // FP_PATH may name the FrontPanelHDL folder inside the install.
        if let Some(install) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
            dirs.extend([install.join("API"), install.join("API").join("lib")]);
        }
    }
    if cfg!(unix) {
        dirs.extend(["/usr/local/lib", "/usr/lib", "/usr/lib64"].map(PathBuf::from));
        if let Ok(entries) = std::fs::read_dir("/opt") {
            let mut installs: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("FrontPanel"))
                .map(|e| e.path())
                .collect();
            installs.sort();
            for install in installs {
                dirs.extend([
                    install.join("API"),
                    install.join("API").join("lib"),
                    install.join("lib"),
                ]);
            }
        }
    }
    if cfg!(windows) {
        if let Some(program_files) = std::env::var_os("ProgramFiles") {
            let api = PathBuf::from(program_files)
                .join("Opal Kelly")
                .join("FrontPanelUSB")
                .join("API");
            dirs.extend([api.join("lib").join("x64"), api.clone()]);
        }
    }

    let mut candidates: Vec<PathBuf> = Vec::with_capacity(dirs.len() + 1);
    for dir in dirs {
        let candidate = dir.join(LIBRARY_FILE_NAME);
        if !candidates.contains(&candidate) {
            candidates.push(candidate);
        }
    }
    candidates.push(PathBuf::from(LIBRARY_FILE_NAME));
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_file_is_the_only_candidate() {
        let file = Path::new("/nonexistent/frontpanel/libokFrontPanel.so.5");
        assert_eq!(
            search_locations(Some(file.as_os_str()), None),
            vec![file.to_path_buf()]
        );
    }

    #[test]
    fn override_directory_names_the_library_inside_it() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            search_locations(Some(dir.path().as_os_str()), None),
            vec![dir.path().join(LIBRARY_FILE_NAME)]
        );
    }

    #[test]
    fn default_search_covers_fp_path_system_dirs_and_loader_but_not_cwd() {
        let found = search_locations(None, Some(OsStr::new("/lab/FrontPanel-5.3")));
        let expect = |p: &str| Path::new(p).join(LIBRARY_FILE_NAME);
        assert_eq!(found[0], expect("/lab/FrontPanel-5.3"));
        assert!(found.contains(&expect("/lab/FrontPanel-5.3/API")));
        assert!(found.contains(&expect("/lab/FrontPanel-5.3/API/lib")));
        let hdl = search_locations(None, Some(OsStr::new("/lab/FP/FrontPanelHDL")));
        assert!(hdl.contains(&expect("/lab/FP/API")));
        if cfg!(unix) {
            assert!(found.contains(&expect("/usr/local/lib")));
            assert!(found.contains(&expect("/usr/lib")));
        }
        let cwd = std::env::current_dir().unwrap();
        assert!(!found.contains(&cwd.join(LIBRARY_FILE_NAME)));
        assert!(!found.contains(&Path::new(".").join(LIBRARY_FILE_NAME)));
        assert_eq!(found.last().unwrap(), &PathBuf::from(LIBRARY_FILE_NAME));
        let mut unique = found.clone();
        unique.dedup();
        assert_eq!(unique.len(), found.len());
    }

    #[test]
    fn missing_candidates_are_each_reported() {
        let dir = tempfile::tempdir().unwrap();
        let candidates = vec![dir.path().join("a.so"), dir.path().join("b.so")];
        let Err(error) = FrontPanelLibrary::load_first(&candidates) else {
            panic!("nothing to load, yet a library loaded");
        };
        match &error {
            FrontPanelError::LibraryNotFound { library, attempts } => {
                assert_eq!(*library, LIBRARY_FILE_NAME);
                let tried: Vec<_> = attempts.iter().map(|a| a.path.clone()).collect();
                assert_eq!(tried, candidates);
                assert!(attempts.iter().all(|a| a.problem == "not found"));
            }
            other => panic!("unexpected error {other}"),
        }
        let message = error.to_string();
        for candidate in &candidates {
            assert!(
                message.contains(&candidate.display().to_string()),
                "{message}"
            );
        }
    }

    #[test]
    fn a_file_that_is_not_a_library_is_rejected_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join(LIBRARY_FILE_NAME);
        std::fs::write(&fake, b"not a shared object").unwrap();
        let Err(FrontPanelError::LibraryNotFound { attempts, .. }) =
            FrontPanelLibrary::load_from(&fake)
        else {
            panic!("a text file loaded as a library");
        };
        assert_eq!(attempts.len(), 1);
        assert!(
            attempts[0].problem.starts_with("cannot be loaded"),
            "{:?}",
            attempts[0]
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_library_without_the_frontpanel_api_names_the_missing_symbol() {
        // libc loads fine but has none of the okFrontPanel_* functions.
        let Err(FrontPanelError::LibraryNotFound { attempts, .. }) =
            FrontPanelLibrary::load_from(Path::new("libc.so.6"))
        else {
            panic!("libc accepted as FrontPanel");
        };
        assert!(
            attempts[0]
                .problem
                .contains("missing symbol okFrontPanel_Construct"),
            "{:?}",
            attempts[0]
        );
    }
}
