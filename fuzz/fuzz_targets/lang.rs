//! Arbitrary bytes as a `.cst` program: parse, check, lower; an accepted
//! program compiles, binds and runs once on sample inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    asterism::fuzz_support::lang_target(data);
});
