//! Runs one `.wast` script: compiles, instantiates and checks every directive.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use waot_abi::meta::{FuncType, GlobalType, MemoryType, TableType, ValType};
use waot_abi::trap::TrapKind;
use waot_compiler::{CompileError, Config, WasmFeatures};
use waot_runtime::{Extern, Instance, InstantiateError, Module, Store, Trap, Val};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

use crate::values::{arg_to_val, match_result};
use crate::FileResult;

/// Symbol prefix of every module the harness compiles.
const PREFIX: &str = "spec";

/// Prefix of the error of a check that needs a module the compiler reported
/// as unsupported (with `WAOT_SPEC_SKIP_UNSUPPORTED`); counted as skipped.
const SKIP: &str = "skipped: ";

/// Runs the script at `path` and counts its checks. With `skip_unsupported`,
/// modules the compiler reports as unsupported, and checks that need them,
/// are skipped rather than failed.
pub fn run_file(path: &Path, features: WasmFeatures, skip_unsupported: bool) -> FileResult {
    let mut result = FileResult::default();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            result.failures.push(format!("cannot read: {e}"));
            return result;
        }
    };
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    result.feature = crate::feature::classify(path, &text);
    // The legacy exception tests are written in a folded `try` syntax the
    // parser no longer reads.
    let in_legacy = path.parent().and_then(|d| d.file_name()) == Some("legacy".as_ref());
    if in_legacy {
        if let Some(flat) = crate::legacy_text::unfold_try(&text) {
            text = flat;
        }
    }
    // Some scripts (names.wast) deliberately use bidi-override characters.
    let mut lexer = Lexer::new(&text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            result.failures.push(format!("cannot lex: {e}"));
            return result;
        }
    };
    let wast: Wast = match parser::parse(&buf) {
        Ok(w) => w,
        Err(e) => {
            result.failures.push(format!("cannot parse: {e}"));
            return result;
        }
    };
    let mut runner = Runner::new(features, skip_unsupported);
    for directive in wast.directives {
        let line = directive.span().linecol_in(&text).0 + 1;
        match runner.run(directive) {
            Ok(Outcome::Passed) => result.passed += 1,
            Ok(Outcome::Skipped(why)) => result.skipped.push(format!("line {line}: {why}")),
            Err(why) => match why.strip_prefix(SKIP) {
                Some(why) => result.skipped.push(format!("line {line}: {why}")),
                None => result.failures.push(format!("line {line}: {why}")),
            },
        }
    }
    result
}

enum Outcome {
    Passed,
    Skipped(String),
}

type Check = Result<Outcome, String>;

/// A compiled module (it owns the loaded object its code lives in).
type Compiled = Arc<Module>;

struct Runner {
    config: Config,
    store: Store,
    /// Instances by their `$id`.
    named: HashMap<String, Instance>,
    /// Modules defined with `(module definition $id ...)`.
    definitions: HashMap<String, Compiled>,
    /// Import namespaces: `register`ed instances and `spectest`.
    registered: HashMap<String, Vec<(String, Extern)>>,
    /// The most recent instance.
    current: Option<Instance>,
    /// Skip modules the compiler reports as unsupported.
    skip_unsupported: bool,
    /// Why the most recent module was skipped (then `current` is stale).
    current_skipped: Option<String>,
    /// Names of skipped modules and instances, with the reason.
    skipped_names: HashMap<String, String>,
    /// Import namespaces `register`ed from skipped modules, with the reason.
    skipped_registered: HashMap<String, String>,
}

impl Runner {
    fn new(features: WasmFeatures, skip_unsupported: bool) -> Runner {
        let mut config = Config::new(target_lexicon::Triple::host());
        config.features = features;
        config.symbol_prefix = PREFIX.to_string();
        config.parallel = false;
        let mut store = Store::new();
        let mut registered = HashMap::new();
        registered.insert("spectest".to_string(), spectest(&mut store, features));
        Runner {
            config,
            store,
            named: HashMap::new(),
            definitions: HashMap::new(),
            registered,
            current: None,
            skip_unsupported,
            current_skipped: None,
            skipped_names: HashMap::new(),
            skipped_registered: HashMap::new(),
        }
    }

    /// Why instantiation failed; starts with [`SKIP`] when the runtime does
    /// not support something the module uses and such modules are skipped.
    fn inst_error(&self, e: InstantiateError) -> String {
        match e {
            InstantiateError::Resource(m)
                if self.skip_unsupported && m.contains("not supported") =>
            {
                format!("{SKIP}{m}")
            }
            e => describe_inst_error(e),
        }
    }

    /// A [`SKIP`] error if `compiled` imports from a skipped module.
    fn check_skipped_imports(&self, compiled: &Compiled) -> Result<(), String> {
        for import in &compiled.meta().imports {
            if let Some(why) = self.skipped_registered.get(&import.module) {
                return Err(format!("{SKIP}imports from a skipped module ({why})"));
            }
        }
        Ok(())
    }

    /// Records that module/instance `name` (or the current one) is skipped.
    fn note_skipped(&mut self, name: Option<String>, why: &str, sets_current: bool) {
        let why = why.strip_prefix(SKIP).unwrap_or(why).to_string();
        if sets_current {
            self.current_skipped = Some(why.clone());
        }
        if let Some(name) = name {
            self.skipped_names.insert(name, why);
        }
    }

    fn run(&mut self, directive: WastDirective<'_>) -> Check {
        match directive {
            WastDirective::Module(mut module) => {
                let name = quote_name(&module);
                let bytes = module.encode().map_err(|e| format!("encode: {e}"))?;
                let compiled = match self.compile(&bytes) {
                    Ok(c) => c,
                    Err(e) => {
                        self.note_skipped(name, &e, true);
                        return Err(e);
                    }
                };
                if let Err(e) = self.check_skipped_imports(&compiled) {
                    self.note_skipped(name, &e, true);
                    return Err(e);
                }
                let instance = match self.instantiate(&compiled) {
                    Ok(instance) => instance,
                    Err(e) => {
                        let e = self.inst_error(e);
                        self.note_skipped(name, &e, true);
                        return Err(e);
                    }
                };
                self.current = Some(instance);
                self.current_skipped = None;
                if let Some(name) = name {
                    self.skipped_names.remove(&name);
                    self.named.insert(name, instance);
                }
                Ok(Outcome::Passed)
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = quote_name(&module);
                let bytes = module.encode().map_err(|e| format!("encode: {e}"))?;
                let compiled = match self.compile(&bytes) {
                    Ok(c) => c,
                    Err(e) => {
                        self.note_skipped(name, &e, false);
                        return Err(e);
                    }
                };
                if let Some(name) = name {
                    self.definitions.insert(name, compiled);
                }
                Ok(Outcome::Passed)
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                if let Some(why) = module.and_then(|m| self.skipped_names.get(m.name())) {
                    let why = format!("{SKIP}{why}");
                    self.note_skipped(instance.map(|i| i.name().to_string()), &why, true);
                    return Err(why);
                }
                let def = module
                    .and_then(|m| self.definitions.get(m.name()))
                    .ok_or("unknown module definition")?;
                let compiled = def.clone();
                let inst = match self.instantiate(&compiled) {
                    Ok(inst) => inst,
                    Err(e) => {
                        let e = self.inst_error(e);
                        self.note_skipped(instance.map(|i| i.name().to_string()), &e, true);
                        return Err(e);
                    }
                };
                self.current = Some(inst);
                self.current_skipped = None;
                if let Some(id) = instance {
                    self.named.insert(id.name().to_string(), inst);
                }
                Ok(Outcome::Passed)
            }
            WastDirective::Register { name, module, .. } => {
                let inst = match self.instance(module.map(|m| m.name())) {
                    Ok(inst) => inst,
                    Err(e) => {
                        if let Some(why) = e.strip_prefix(SKIP) {
                            self.skipped_registered
                                .insert(name.to_string(), why.to_string());
                        }
                        return Err(e);
                    }
                };
                self.skipped_registered.remove(name);
                let exports = self.store.exports(inst);
                self.registered.insert(name.to_string(), exports);
                Ok(Outcome::Passed)
            }
            WastDirective::Invoke(invoke) => {
                self.invoke(&invoke)?.map_err(|t| format!("trapped: {t}"))?;
                Ok(Outcome::Passed)
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = match self.execute(exec)? {
                    Ok(vals) => vals,
                    Err(trap) => return Err(format!("expected return, got trap: {trap}")),
                };
                if got.len() != results.len() {
                    return Err(format!("expected {} results, got {got:?}", results.len()));
                }
                for (g, want) in got.iter().zip(&results) {
                    let WastRet::Core(want) = want else {
                        return Ok(Outcome::Skipped("component value".into()));
                    };
                    if !match_result(g, want) {
                        return Err(format!("expected {want:?}, got {g:?}"));
                    }
                }
                Ok(Outcome::Passed)
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec)? {
                Ok(vals) => Err(format!("expected trap \"{message}\", got {vals:?}")),
                Err(trap) => check_trap(&trap, message),
            },
            WastDirective::AssertException { exec, .. } => match self.execute(exec)? {
                Ok(vals) => Err(format!("expected an exception, got {vals:?}")),
                Err(trap) if trap.kind == TrapKind::UncaughtException => Ok(Outcome::Passed),
                Err(trap) => Err(format!("expected an exception, got {trap}")),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call)? {
                Ok(vals) => Err(format!("expected exhaustion, got {vals:?}")),
                Err(trap) if trap.kind == TrapKind::StackOverflow => Ok(Outcome::Passed),
                Err(trap) => Err(format!("expected \"{message}\", got {trap}")),
            },
            WastDirective::AssertInvalid {
                module, message, ..
            } => self.assert_rejected(module, message, true),
            WastDirective::AssertMalformed {
                module, message, ..
            } => self.assert_rejected(module, message, false),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let mut module = QuoteWat::Wat(module);
                let bytes = module.encode().map_err(|e| format!("encode: {e}"))?;
                let compiled = self.compile(&bytes)?;
                self.check_skipped_imports(&compiled)?;
                match self.instantiate(&compiled) {
                    Ok(_) => Err(format!("expected unlinkable \"{message}\", instantiated")),
                    Err(InstantiateError::Link(_)) => Ok(Outcome::Passed),
                    Err(e) => Err(format!(
                        "expected unlinkable \"{message}\", got {}",
                        describe_inst_error(e)
                    )),
                }
            }
            // Custom sections never make a module unusable (an engine
            // ignores one it cannot read; the reference interpreter only
            // warns): a module with an invalid custom section must still
            // compile and instantiate, and a malformed custom annotation is
            // refused by the text parser before waot sees it.
            WastDirective::AssertMalformedCustom {
                mut module,
                message,
                ..
            } => match module.encode() {
                Err(_) => Ok(Outcome::Passed),
                Ok(_) => Err(format!(
                    "expected malformed custom annotation \"{message}\", the text parsed"
                )),
            },
            WastDirective::AssertInvalidCustom {
                mut module,
                message,
                ..
            } => {
                let bytes = module.encode().map_err(|e| format!("encode: {e}"))?;
                let compiled = self.compile(&bytes)?;
                match self.instantiate(&compiled) {
                    Ok(_) => Ok(Outcome::Passed),
                    Err(e) => Err(format!(
                        "invalid custom section (\"{message}\") must not stop instantiation: {}",
                        describe_inst_error(e)
                    )),
                }
            }
            other => Ok(Outcome::Skipped(format!(
                "directive {:?}",
                std::mem::discriminant(&other)
            ))),
        }
    }

    /// `assert_invalid` (validation must fail) / `assert_malformed` (decoding
    /// or text parsing must fail).
    fn assert_rejected(&mut self, mut module: QuoteWat<'_>, message: &str, invalid: bool) -> Check {
        let bytes = match module.encode() {
            Ok(bytes) => bytes,
            // Malformed text is rejected by the text parser before waot sees it.
            Err(_) if !invalid => return Ok(Outcome::Passed),
            Err(e) => return Err(format!("encode: {e}")),
        };
        match waot_compiler::compile(&bytes, &self.config) {
            Ok(_) => Err(format!("expected rejection \"{message}\", compiled")),
            Err(CompileError::Invalid { .. }) => Ok(Outcome::Passed),
            Err(e) => Err(format!("expected rejection \"{message}\", got {e}")),
        }
    }

    /// Compiles and loads `wasm`; the error says why (starting with [`SKIP`]
    /// when the module is unsupported and such modules are skipped).
    fn compile(&mut self, wasm: &[u8]) -> Result<Compiled, String> {
        let object = match waot_compiler::compile(wasm, &self.config) {
            Ok(object) => object,
            Err(e @ CompileError::Unsupported { .. }) if self.skip_unsupported => {
                return Err(format!("{SKIP}{e}"))
            }
            Err(e) => return Err(format!("compile: {e}")),
        };
        let loaded = waot_runtime::loader::load_object(&object).map_err(|e| e.to_string())?;
        let symbol = waot_abi::symbols::descriptor_symbol(PREFIX);
        let module = Module::from_loaded(loaded, &symbol).map_err(|e| e.to_string())?;
        Ok(Arc::new(module))
    }

    fn instantiate(&mut self, compiled: &Compiled) -> Result<Instance, InstantiateError> {
        let mut imports = Vec::new();
        for import in &compiled.meta().imports {
            let found = self
                .registered
                .get(&import.module)
                .and_then(|exports| exports.iter().find(|(n, _)| *n == import.name))
                .map(|(_, e)| *e);
            match found {
                Some(e) => imports.push(e),
                None => {
                    return Err(InstantiateError::Link(format!(
                        "unknown import {}::{}",
                        import.module, import.name
                    )))
                }
            }
        }
        self.store.instantiate(compiled, &imports)
    }

    /// Instance `$name`, or the current one. Fails with [`SKIP`] when it is
    /// a module that was skipped.
    fn instance(&self, name: Option<&str>) -> Result<Instance, String> {
        let skipped = match name {
            Some(n) => self.skipped_names.get(n),
            None => self.current_skipped.as_ref(),
        };
        if let Some(why) = skipped {
            return Err(format!("{SKIP}needs a skipped module ({why})"));
        }
        match name {
            Some(n) => self
                .named
                .get(n)
                .copied()
                .ok_or(format!("no instance ${n}")),
            None => self
                .current
                .ok_or_else(|| "no current instance".to_string()),
        }
    }

    /// Outer error: the harness could not perform the call; inner: the trap.
    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Result<Vec<Val>, Trap>, String> {
        let inst = self.instance(invoke.module.map(|m| m.name()))?;
        let Some(Extern::Func(func)) = self.store.get_export(inst, invoke.name) else {
            return Err(format!("no exported function \"{}\"", invoke.name));
        };
        let params = self.store.func_type(func).params;
        if params.len() != invoke.args.len() {
            return Err(format!(
                "{} arguments for {} parameters",
                invoke.args.len(),
                params.len()
            ));
        }
        let mut args = Vec::new();
        for (arg, ty) in invoke.args.iter().zip(params) {
            let WastArg::Core(arg) = arg else {
                return Err("component argument".into());
            };
            args.push(arg_to_val(&mut self.store, arg, ty)?);
        }
        Ok(self.store.call(func, &args))
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Result<Vec<Val>, Trap>, String> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(module.map(|m| m.name()))?;
                match self.store.get_export(inst, global) {
                    Some(Extern::Global(g)) => Ok(Ok(vec![self.store.global_get(g)])),
                    _ => Err(format!("no exported global \"{global}\"")),
                }
            }
            WastExecute::Wat(module) => {
                let mut module = QuoteWat::Wat(module);
                let bytes = module.encode().map_err(|e| format!("encode: {e}"))?;
                let compiled = self.compile(&bytes)?;
                self.check_skipped_imports(&compiled)?;
                match self.instantiate(&compiled) {
                    Ok(_) => Ok(Ok(Vec::new())),
                    Err(InstantiateError::Trap(t)) => Ok(Err(t)),
                    Err(e) => Err(self.inst_error(e)),
                }
            }
        }
    }
}

fn quote_name(module: &QuoteWat<'_>) -> Option<String> {
    module.name().map(|id| id.name().to_string())
}

fn describe_inst_error(e: InstantiateError) -> String {
    match e {
        InstantiateError::Link(m) => format!("link error: {m}"),
        InstantiateError::Trap(t) => format!("trap during instantiation: {t}"),
        other => format!("instantiation failed: {other:?}"),
    }
}

/// Trap messages must match the spec's text (our messages are the spec's;
/// a prefix match covers messages the spec abbreviates).
fn check_trap(trap: &Trap, expected: &str) -> Check {
    let actual = trap.kind.message();
    if actual.starts_with(expected) || expected.starts_with(actual) {
        Ok(Outcome::Passed)
    } else {
        Err(format!("expected trap \"{expected}\", got \"{actual}\""))
    }
}

/// The `spectest` module every script may import from.
fn spectest(store: &mut Store, features: WasmFeatures) -> Vec<(String, Extern)> {
    let mut exports = Vec::new();
    let prints: [(&str, Vec<ValType>); 7] = [
        ("print", vec![]),
        ("print_i32", vec![ValType::I32]),
        ("print_i64", vec![ValType::I64]),
        ("print_f32", vec![ValType::F32]),
        ("print_f64", vec![ValType::F64]),
        ("print_i32_f32", vec![ValType::I32, ValType::F32]),
        ("print_f64_f64", vec![ValType::F64, ValType::F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType {
            params,
            results: vec![],
        };
        let f = store.host_func(ty, Box::new(|_, _, _| Ok(())));
        exports.push((name.to_string(), Extern::Func(f)));
    }
    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::F32(666.6f32.to_bits())),
        ("global_f64", ValType::F64, Val::F64(666.6f64.to_bits())),
    ];
    for (name, ty, val) in globals {
        let g = store
            .new_global(GlobalType { ty, mutable: false }, val)
            .expect("spectest global");
        exports.push((name.to_string(), Extern::Global(g)));
    }
    let table = store
        .new_table(
            TableType {
                element: ValType::FuncRef,
                min: 10,
                max: Some(20),
                table64: false,
            },
            Val::FuncRef(None),
        )
        .expect("spectest table");
    exports.push(("table".to_string(), Extern::Table(table)));
    // The spec interpreter's 64-bit twin of `table`.
    let table64 = store
        .new_table(
            TableType {
                element: ValType::FuncRef,
                min: 10,
                max: Some(20),
                table64: true,
            },
            Val::FuncRef(None),
        )
        .expect("spectest table64");
    exports.push(("table64".to_string(), Extern::Table(table64)));
    let memory = store
        .new_memory(MemoryType {
            min_pages: 1,
            max_pages: Some(2),
            memory64: false,
            shared: false,
            page_size_log2: waot_abi::WASM_PAGE_SIZE_LOG2,
        })
        .expect("spectest memory");
    exports.push(("memory".to_string(), Extern::Memory(memory)));
    // The threads proposal's `(memory 1 2 shared)`, only for scripts that
    // may use it: every memory reserves 8 GiB of address space, and under
    // qemu-user each reservation costs the emulator memory it never gives
    // back (the 2.0 run under qemu was killed for lack of memory when every
    // script made this one too).
    if features.contains(WasmFeatures::THREADS) {
        let shared_memory = store
            .new_memory(MemoryType {
                shared: true,
                ..store.memory_type(memory)
            })
            .expect("spectest shared_memory");
        exports.push(("shared_memory".to_string(), Extern::Memory(shared_memory)));
    }
    exports
}
