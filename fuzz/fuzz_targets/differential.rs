//! Differential execution: a terminating wasm-smith module run by waot and
//! by wasmi must give the same results, traps and final state (see
//! tests/oracle/mod.rs, shared with tests/differential.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/oracle/mod.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    let Ok(wasm) = oracle::generate(data) else {
        return;
    };
    // A crash that kills the process (e.g. a stack overflow outside wasm
    // code) leaves libFuzzer no chance to save the input: keep the module
    // about to run where the user asked.
    if let Some(path) = std::env::var_os("WAOT_FUZZ_LAST_INPUT") {
        let _ = std::fs::write(path, &wasm);
    }
    if let Err(why) = oracle::check(&wasm) {
        let _ = std::fs::write("differential-failure.wasm", &wasm);
        panic!("divergence: {why}");
    }
});
