//! Arbitrary bytes as a DagSpec: round-trip, compile, check the plan's
//! invariants, bind, run once on sample inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    asterism::fuzz_support::spec_target(data);
});
