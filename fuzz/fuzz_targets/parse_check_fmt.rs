//! Any bytes as one source file: load, parse, check, render, format (`cadence::selfcheck`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(v) = cadence::selfcheck::parse_check_fmt(data) {
        panic!("{v}");
    }
});
