//! Arbitrary bytes as plain-JSON inputs for each example pipeline.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    asterism::fuzz_support::inputs_target(data);
});
