//! Any bytes as one source file; when it checks clean, build every target and run every
//! simulation (`cadence::selfcheck`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(v) = cadence::selfcheck::build_simulate(data) {
        panic!("{v}");
    }
});
