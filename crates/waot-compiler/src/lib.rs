//! waot's compiler: WebAssembly bytes in, native object file out.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! module::parse      bytes -> validated ModuleInfo (types, imports, bodies, metadata)
//! translate          one function body -> Cranelift IR (per function, in parallel)
//! inline             small callees pasted into their callers' IR
//! codegen            Cranelift IR -> machine code + relocations + trap sites
//! emit               machine code, trampolines, descriptor, metadata -> object file
//! ```
//!
//! Generated code and the runtime meet only through `waot-abi`.
#![deny(missing_docs)]

pub mod abi;
pub mod codegen;
pub mod config;
pub mod emit;
pub mod error;
pub mod inline;
pub mod module;
pub mod translate;

pub use codegen::SUPPORTED_TARGETS;
pub use config::{Config, OptLevel, DEFAULT_FEATURES};
pub use error::{CompileError, Result};

/// Compiles the WebAssembly module `wasm` (binary format) into the bytes of
/// an ELF relocatable object for `config.target`.
///
/// The object is self-contained: it defines the module's code, its
/// trampolines and adapters, the metadata blob and the exported
/// `<prefix>_module` descriptor (`waot_abi::meta::ModuleDescriptor`), and
/// with `config.emit_main` a C `main` that calls `waot_rt_main`. Compiling
/// the same input with the same config always gives the same bytes.
///
/// ```no_run
/// let wasm = std::fs::read("hello.wasm")?;
/// let config = waot_compiler::Config::new(target_lexicon::Triple::host());
/// let object = waot_compiler::compile(&wasm, &config)?;
/// std::fs::write("hello.o", object)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compile(wasm: &[u8], config: &Config) -> Result<Vec<u8>> {
    compile_with_timings(wasm, config, &mut |_, _| {})
}

/// [`compile`], calling `stage(name, elapsed)` after each stage:
/// `"validate"` (parsing and validation), `"codegen"` (translation and
/// machine code for every function) and `"emit"` (the object file).
pub fn compile_with_timings(
    wasm: &[u8],
    config: &Config,
    stage: &mut dyn FnMut(&'static str, std::time::Duration),
) -> Result<Vec<u8>> {
    let mut t = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        stage(name, t.elapsed());
        t = std::time::Instant::now();
    };
    let isa = codegen::target_isa(config)?;
    let info = module::parse(wasm, config.features)?;
    lap("validate");
    let huge_isa = codegen::huge_function_isa(&info, config)?;
    let funcs = codegen::compile_functions(&info, &*isa, huge_isa.as_deref(), config)?;
    lap("codegen");
    let object = emit::emit_object(&info, &funcs, &isa, config)?;
    lap("emit");
    Ok(object)
}
pub use wasmparser::WasmFeatures;

/// What [`compile_function_text`] prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// Cranelift IR right after translation (before inlining and
    /// optimization).
    Clif,
    /// Cranelift's final VCode: machine instructions after register
    /// allocation, one per line (the code `compile` emits, inlined calls
    /// included).
    Asm,
}

/// The CLIF or machine code of the defined functions of `wasm`, as text:
/// one `;; function <index> <name>` header per function, then its text.
/// With `filter`, only the functions whose name (name section, raw or
/// demangled, or export) or function index equals it; none matching is an
/// error.
pub fn compile_function_text(
    wasm: &[u8],
    config: &Config,
    filter: Option<&str>,
    kind: TextKind,
) -> Result<String> {
    use std::fmt::Write;
    let isa = codegen::target_isa(config)?;
    let info = module::parse(wasm, config.features)?;
    let mut out = String::new();
    let mut ctx = cranelift_codegen::Context::new();
    let huge_isa = codegen::huge_function_isa(&info, config)?;
    let pipeline = codegen::FunctionPipeline::new(&info, &*isa, huge_isa.as_deref(), config);
    let mut translator = pipeline.translator();
    for i in 0..info.num_defined_funcs() {
        let index = info.num_imported_funcs + i;
        // The demangled name first (it labels the function), then the raw one.
        let raw = info.func_name(index);
        let display = raw.map(emit::names::display_name);
        let mut names: Vec<&str> = display.as_deref().into_iter().chain(raw).collect();
        names.extend(info.meta.exports.iter().filter_map(|e| {
            (e.kind == waot_abi::meta::ExportKind::Func && e.index == index)
                .then_some(e.name.as_str())
        }));
        if let Some(f) = filter {
            if !names.contains(&f) && f != index.to_string() {
                continue;
            }
        }
        let label = names.first().copied().unwrap_or("");
        let _ = writeln!(out, ";; function {index} {label}");
        match kind {
            TextKind::Clif => {
                let func = translator.translate(&info, i, &*isa)?;
                let _ = writeln!(out, "{}", func.display());
            }
            TextKind::Asm => {
                // The code the object gets: after inlining, with the ISA
                // `compile` would use.
                let isa = pipeline.prepare(&mut translator, &mut ctx, i)?;
                ctx.set_disasm(true);
                ctx.compile(isa, &mut cranelift_control::ControlPlane::default())
                    .map_err(|e| {
                        CompileError::Internal(format!("function {index}: {}", e.inner))
                    })?;
                let vcode = ctx
                    .compiled_code()
                    .and_then(|c| c.vcode.clone())
                    .unwrap_or_default();
                let _ = writeln!(out, "{vcode}");
            }
        }
    }
    if out.is_empty() {
        if let Some(f) = filter {
            return Err(CompileError::Config(format!(
                "no defined function is named `{f}`"
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::{Object, ObjectSection, ObjectSymbol};
    use std::str::FromStr;
    use target_lexicon::Triple;
    use waot_abi::meta::ModuleMeta;
    use waot_abi::trap::TrapKind;

    const WAT: &str = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
        (memory (export "memory") 1)
        (func $add (param i32 i32) (result i32)
            local.get 0
            local.get 1
            i32.add)
        (func $start (export "_start")
            i32.const 1
            i32.const 2
            call $add
            call $proc_exit))"#;

    fn config(target: &str, emit_main: bool) -> Config {
        let mut config = Config::new(Triple::from_str(target).unwrap());
        config.symbol_prefix = "demo".to_string();
        config.emit_main = emit_main;
        config
    }

    fn symbols(obj: &[u8]) -> (Vec<String>, Vec<String>) {
        let file = object::File::parse(obj).unwrap();
        let (mut defined, mut undefined) = (Vec::new(), Vec::new());
        for sym in file.symbols() {
            let name = sym.name().unwrap().to_string();
            if name.is_empty() || sym.kind() == object::SymbolKind::Section {
                continue;
            }
            if sym.is_undefined() {
                undefined.push(name);
            } else {
                defined.push(name);
            }
        }
        (defined, undefined)
    }

    /// The metadata blob, read back from the object's `demo_meta` symbol.
    fn meta_blob(obj: &[u8]) -> Vec<u8> {
        let file = object::File::parse(obj).unwrap();
        let sym = file
            .symbols()
            .find(|s| s.name() == Ok("demo_meta"))
            .unwrap();
        let section = file.section_by_index(sym.section_index().unwrap()).unwrap();
        let start = (sym.address() - section.address()) as usize;
        section.data().unwrap()[start..start + sym.size() as usize].to_vec()
    }

    #[test]
    fn output_is_deterministic() {
        let wasm = wat::parse_str(WAT).unwrap();
        let mut config = config("x86_64-unknown-linux-gnu", true);
        let first = compile(&wasm, &config).unwrap();
        assert_eq!(first, compile(&wasm, &config).unwrap());
        config.parallel = false;
        assert_eq!(first, compile(&wasm, &config).unwrap());
    }

    #[test]
    fn object_defines_the_descriptor_and_nothing_is_undefined() {
        let wasm = wat::parse_str(WAT).unwrap();
        for target in SUPPORTED_TARGETS {
            let obj = compile(&wasm, &config(target, false)).unwrap();
            let (defined, undefined) = symbols(&obj);
            assert!(defined.contains(&"demo_module".to_string()), "{defined:?}");
            // Wasm function 1 (after the import), named `<name>.f<index>`.
            assert!(defined.contains(&"add.f1".to_string()), "{defined:?}");
            assert!(!defined.contains(&"main".to_string()));
            assert!(undefined.is_empty(), "{target}: {undefined:?}");
        }
    }

    #[test]
    fn executable_object_needs_only_the_runtime_main() {
        let wasm = wat::parse_str(WAT).unwrap();
        for target in SUPPORTED_TARGETS {
            let obj = compile(&wasm, &config(target, true)).unwrap();
            let (defined, undefined) = symbols(&obj);
            assert!(defined.contains(&"main".to_string()), "{defined:?}");
            assert_eq!(undefined, ["waot_rt_main"], "{target}");
        }
    }

    #[test]
    fn metadata_covers_functions_trampolines_and_adapters() {
        let wasm = wat::parse_str(WAT).unwrap();
        let obj = compile(&wasm, &config("x86_64-unknown-linux-gnu", false)).unwrap();
        let blob = meta_blob(&obj);
        let meta = ModuleMeta::decode(&blob).unwrap();
        // 2 defined functions, 3 types: [i32]->[], [i32 i32]->[i32], []->[].
        assert_eq!(meta.types.len(), 3);
        assert_eq!(meta.code_sizes.len(), 2 + 2 * 3);
        assert!(meta.code_sizes.iter().all(|s| *s > 0));
        let host_trap = TrapKind::HostTrap as u8;
        for t in 0..3 {
            let adapter = 2 + 3 + t;
            let sites: Vec<_> = meta
                .traps
                .iter()
                .filter(|s| s.defined_func == adapter)
                .collect();
            assert_eq!(sites.len(), 1, "adapter of type {t}: {sites:?}");
            assert_eq!(sites[0].code, host_trap);
        }
        assert!(meta.traps.iter().all(|s| !(2..5).contains(&s.defined_func)));
        assert!(meta.traps.windows(2).all(
            |w| (w[0].defined_func, w[0].code_offset) <= (w[1].defined_func, w[1].code_offset)
        ));
    }

    #[test]
    fn empty_module_compiles() {
        let wasm = wat::parse_str("(module)").unwrap();
        let obj = compile(&wasm, &config("x86_64-unknown-linux-gnu", true)).unwrap();
        let (defined, undefined) = symbols(&obj);
        assert!(defined.contains(&"demo_module".to_string()), "{defined:?}");
        assert_eq!(undefined, ["waot_rt_main"]);
        let blob = meta_blob(&obj);
        assert!(ModuleMeta::decode(&blob).unwrap().code_sizes.is_empty());
    }

    #[test]
    fn unsupported_target_is_an_error() {
        let wasm = wat::parse_str(WAT).unwrap();
        let err = compile(&wasm, &config("x86_64-pc-windows-msvc", false))
            .unwrap_err()
            .to_string();
        assert!(err.contains("aarch64-unknown-linux-gnu"), "{err}");
    }
}
