#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = crew_fuzz::npz(data);
});
