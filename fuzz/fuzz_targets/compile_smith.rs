//! Valid modules from wasm-smith (every feature waot compiles by default)
//! must compile,
//! and compiling twice (in parallel and serially) gives the same bytes.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/oracle/mod.rs"]
mod oracle;

fn module(data: &[u8]) -> Result<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let mut config = oracle::smith_config();
    // Everything waot compiles by default (waot_compiler::DEFAULT_FEATURES:
    // WebAssembly 2.0 + tail calls, extended const, multi-memory, relaxed
    // SIMD, memory64, exceptions, typed function references, GC, threads,
    // legacy exceptions, which wasm-smith does not generate);
    // the differential target keeps to 2.0 without SIMD, plus memory64.
    config.simd_enabled = true;
    config.exceptions_enabled = true;
    config.gc_enabled = true;
    config.relaxed_simd_enabled = true;
    config.tail_call_enabled = true;
    config.extended_const_enabled = true;
    config.threads_enabled = true;
    // And the opt-in proposals (`-W custom-page-sizes`, `-W wide-arithmetic`).
    config.custom_page_sizes_enabled = u.arbitrary()?;
    config.wide_arithmetic_enabled = u.arbitrary()?;
    config.max_memories = 4;
    // Compile-only: no need to keep execution cheap.
    config.max_imports = 100;
    config.memory_max_size_required = false;
    config.table_max_size_required = false;
    config.max_memory32_bytes = 1 << 32;
    config.max_table_elements = 10_000_000;
    config.export_everything = u.arbitrary()?;
    config.canonicalize_nans = u.arbitrary()?;
    config.max_funcs = u.int_in_range(0..=200)?;
    config.max_instructions = u.int_in_range(0..=2000)?;
    config.max_nesting_depth = u.int_in_range(0..=50)?;
    Ok(wasm_smith::Module::new(config, &mut u)?.to_bytes())
}

fuzz_target!(|data: &[u8]| {
    let Ok(wasm) = module(data) else { return };
    let mut config = oracle::waot_config();
    config.features |= waot_compiler::WasmFeatures::CUSTOM_PAGE_SIZES
        | waot_compiler::WasmFeatures::WIDE_ARITHMETIC;
    let object = match waot_compiler::compile(&wasm, &config) {
        Ok(o) => o,
        Err(e) => {
            let _ = std::fs::write("compile_smith-failure.wasm", &wasm);
            panic!("valid module rejected: {e}");
        }
    };
    config.parallel = true;
    let again = waot_compiler::compile(&wasm, &config).expect("compiles again");
    assert!(
        object == again,
        "output differs between serial and parallel compiles"
    );
});
