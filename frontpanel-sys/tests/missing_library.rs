//! Without a FrontPanel library, constructing a handle gives an error that names the
//! library and every place searched. One test function: it sets process environment.

use std::panic;
use std::path::Path;

use rust_hdl_ok_frontpanel_sys::{FrontPanelError, OkHandle, LIBRARY_ENV, LIBRARY_FILE_NAME};

fn expect_not_found(expected_path: &Path) -> String {
    let error = match OkHandle::try_new() {
        Ok(_) => panic!(
            "a FrontPanel library loaded from {}",
            expected_path.display()
        ),
        Err(error) => error,
    };
    let FrontPanelError::LibraryNotFound { library, attempts } = &error else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(*library, LIBRARY_FILE_NAME);
    assert_eq!(attempts.len(), 1, "the override is the only place searched");
    assert_eq!(attempts[0].path, expected_path);
    assert_eq!(attempts[0].problem, "not found");
    let message = error.to_string();
    assert!(message.contains(LIBRARY_FILE_NAME), "{message}");
    assert!(
        message.contains(&expected_path.display().to_string()),
        "{message}"
    );
    assert!(message.contains(LIBRARY_ENV), "{message}");
    message
}

#[test]
fn missing_library_is_a_named_error_listing_where_it_looked() {
    let empty = tempfile::tempdir().unwrap();

    // A file path that does not exist.
    let nonexistent = empty.path().join("nowhere").join("libokFrontPanel.so.5");
    std::env::set_var(LIBRARY_ENV, &nonexistent);
    expect_not_found(&nonexistent);

    // An empty directory: the library file name inside it.
    std::env::set_var(LIBRARY_ENV, empty.path());
    let message = expect_not_found(&empty.path().join(LIBRARY_FILE_NAME));

    // The legacy constructor panics with the same message.
    let payload = panic::catch_unwind(OkHandle::new)
        .err()
        .expect("new() must panic");
    let panic_message = payload
        .downcast_ref::<String>()
        .cloned()
        .expect("panic with a formatted message");
    assert_eq!(panic_message, message);
}
