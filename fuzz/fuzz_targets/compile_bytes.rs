//! Arbitrary bytes into the compiler: a clean error or an object that
//! loads, never a panic, an internal error, or unbounded time or memory
//! (libFuzzer's -timeout and -rss_limit_mb enforce the bounds).
#![no_main]

use libfuzzer_sys::fuzz_target;
use waot_compiler::CompileError;

fuzz_target!(|data: &[u8]| {
    let mut config = waot_compiler::Config::new(target_lexicon::Triple::host());
    config.parallel = false;
    match waot_compiler::compile(data, &config) {
        Ok(object) => {
            waot_runtime::loader::load_object(&object).expect("a compiled object loads");
        }
        Err(CompileError::Internal(e)) => panic!("internal compiler error: {e}"),
        Err(_) => {}
    }
});
