//! Hostile but valid modules: each must compile in bounded time and memory
//! (and run, when it has something to run) or be refused with a clear error.
//!
//! Every case runs in a child process of its own (this test binary re-run
//! with `WAOT_HOSTILE_CASE=<name>`), so that its peak RSS (`VmHWM`) is its
//! own and a hang is caught by the parent's time limit. The parent prints
//! the table that `docs/LIMITS.md` shows (time, memory, outcome) and asserts
//! only on outcomes: timings on a shared CI box are not stable enough to
//! assert on, the limit is only a hang guard.

use std::borrow::Cow;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use waot_runtime::{Extern, Module, Store, Val};
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection, Function,
    FunctionSection, ImportSection, Instruction as I, MemorySection, MemoryType, RefType,
    TableSection, TableType, TypeSection, ValType,
};

const CHILD_ENV: &str = "WAOT_HOSTILE_CASE";
/// Hang guard per case (a loaded 2-core box takes a few seconds for the
/// largest case; see docs/LIMITS.md).
const CASE_LIMIT: Duration = Duration::from_secs(600);

/// A module under construction: one type per distinct signature, functions,
/// exports and the other sections as needed.
#[derive(Default)]
struct Builder {
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    imports: ImportSection,
    funcs: FunctionSection,
    code: CodeSection,
    exports: ExportSection,
    memories: MemorySection,
    tables: TableSection,
    data: DataSection,
    n_imports: u32,
    n_funcs: u32,
}

impl Builder {
    fn ty(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        let key = (params.to_vec(), results.to_vec());
        if let Some(i) = self.types.iter().position(|t| *t == key) {
            return i as u32;
        }
        self.types.push(key);
        self.types.len() as u32 - 1
    }

    fn import_func(&mut self, module: &str, name: &str, ty: u32) {
        self.imports.import(module, name, EntityType::Function(ty));
        self.n_imports += 1;
    }

    /// Adds a function; returns its index.
    fn func(&mut self, ty: u32, locals: Vec<(u32, ValType)>, body: &[I<'_>]) -> u32 {
        let mut f = Function::new(locals);
        for i in body {
            f.instruction(i);
        }
        f.instruction(&I::End);
        self.funcs.function(ty);
        self.code.function(&f);
        self.n_funcs += 1;
        self.n_imports + self.n_funcs - 1
    }

    fn export_func(&mut self, name: &str, index: u32) {
        self.exports.export(name, ExportKind::Func, index);
    }

    fn finish(self) -> Vec<u8> {
        let mut types = TypeSection::new();
        for (p, r) in &self.types {
            types.ty().function(p.iter().copied(), r.iter().copied());
        }
        let mut m = wasm_encoder::Module::new();
        m.section(&types);
        if self.n_imports > 0 {
            m.section(&self.imports);
        }
        m.section(&self.funcs);
        if !self.tables.is_empty() {
            m.section(&self.tables);
        }
        if !self.memories.is_empty() {
            m.section(&self.memories);
        }
        m.section(&self.exports);
        m.section(&self.code);
        if !self.data.is_empty() {
            m.section(&self.data);
        }
        m.finish()
    }
}

const I32: ValType = ValType::I32;

fn memory(min: u64, max: Option<u64>) -> MemoryType {
    MemoryType {
        minimum: min,
        maximum: max,
        memory64: false,
        shared: false,
        page_size_log2: None,
    }
}

/// One export call and the results it must give.
struct Call {
    export: &'static str,
    args: Vec<Val>,
    want: Vec<Val>,
}

fn call(export: &'static str, args: &[i32], want: &[i32]) -> Call {
    Call {
        export,
        args: args.iter().map(|&a| Val::I32(a)).collect(),
        want: want.iter().map(|&a| Val::I32(a)).collect(),
    }
}

/// What a case must do.
enum Expect {
    /// Compile only (imports the test cannot provide).
    Compiles,
    /// Compile, instantiate, and make these calls in order.
    Runs(Vec<Call>),
    /// Compile, then instantiation fails with a message containing this.
    InstantiationRefused(&'static str),
    /// Compilation fails with a message containing this.
    CompileRefused(&'static str),
}

struct Case {
    name: &'static str,
    what: &'static str,
    build: fn() -> (Vec<u8>, Expect),
}

fn many_functions() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    let ty = b.ty(&[], &[I32]);
    for i in 0..100_000 {
        let f = b.func(ty, vec![], &[I::I32Const(i)]);
        if i == 0 || i == 99_999 {
            b.export_func(&format!("f{i}"), f);
        }
    }
    (
        b.finish(),
        Expect::Runs(vec![call("f0", &[], &[0]), call("f99999", &[], &[99_999])]),
    )
}

fn million_instructions() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    let ty = b.ty(&[I32], &[I32]);
    let mut body = vec![I::LocalGet(0)];
    for _ in 0..500_000 {
        body.push(I::I32Const(1));
        body.push(I::I32Add);
    }
    let f = b.func(ty, vec![], &body);
    b.export_func("f", f);
    (b.finish(), Expect::Runs(vec![call("f", &[5], &[500_005])]))
}

fn million_instructions_locals() -> (Vec<u8>, Expect) {
    // 1M instructions through 1000 locals: register pressure, not folding.
    let mut b = Builder::default();
    let ty = b.ty(&[I32], &[I32]);
    let mut body = Vec::new();
    for i in 0..250_000u32 {
        body.push(I::LocalGet(i % 1000));
        body.push(I::LocalGet((i * 7 + 1) % 1000));
        body.push(I::I32Add);
        body.push(I::LocalSet((i * 13 + 2) % 1000));
    }
    body.push(I::LocalGet(999));
    let f = b.func(ty, vec![(999, I32)], &body);
    b.export_func("f", f);
    // The result is whatever it is; the run must just return.
    let wasm = b.finish();
    (wasm, Expect::Runs(vec![]))
}

fn deep_blocks() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    let ty = b.ty(&[], &[I32]);
    let depth = 10_000;
    let mut body = Vec::new();
    for _ in 0..depth {
        body.push(I::Block(wasm_encoder::BlockType::Empty));
    }
    body.push(I::Br(depth - 1));
    for _ in 0..depth {
        body.push(I::End);
    }
    body.push(I::I32Const(7));
    let f = b.func(ty, vec![], &body);
    b.export_func("f", f);
    (b.finish(), Expect::Runs(vec![call("f", &[], &[7])]))
}

fn deep_ifs_and_loops() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    let ty = b.ty(&[I32], &[I32]);
    let depth = 5_000;
    let mut body = Vec::new();
    for _ in 0..depth {
        body.push(I::Loop(wasm_encoder::BlockType::Empty));
        body.push(I::LocalGet(0));
        body.push(I::If(wasm_encoder::BlockType::Empty));
    }
    for _ in 0..depth {
        body.push(I::End);
        body.push(I::End);
    }
    body.push(I::LocalGet(0));
    let f = b.func(ty, vec![], &body);
    b.export_func("f", f);
    (b.finish(), Expect::Runs(vec![call("f", &[3], &[3])]))
}

fn huge_br_table() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    let ty = b.ty(&[I32], &[I32]);
    let targets: Vec<u32> = (0..100_000).map(|i| i % 2).collect();
    let body = [
        I::Block(wasm_encoder::BlockType::Empty),
        I::Block(wasm_encoder::BlockType::Empty),
        I::LocalGet(0),
        I::BrTable(Cow::Owned(targets), 1),
        I::End,
        I::I32Const(10),
        I::Return,
        I::End,
        I::I32Const(20),
    ];
    let f = b.func(ty, vec![], &body);
    b.export_func("f", f);
    (
        b.finish(),
        Expect::Runs(vec![
            call("f", &[4], &[10]),
            call("f", &[99_999], &[20]),
            call("f", &[1_000_000], &[20]),
        ]),
    )
}

fn maximal_memory() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    b.memories.memory(memory(1, Some(65536)));
    let grow_ty = b.ty(&[I32], &[I32]);
    let grow = b.func(grow_ty, vec![], &[I::LocalGet(0), I::MemoryGrow(0)]);
    b.export_func("grow", grow);
    let store_ty = b.ty(&[I32, I32], &[]);
    let mem8 = |align| wasm_encoder::MemArg {
        offset: 0,
        align,
        target: wasm_encoder::MemArgTarget::Memory(0),
        ordering: None,
    };
    let st = b.func(
        store_ty,
        vec![],
        &[I::LocalGet(0), I::LocalGet(1), I::I32Store8(mem8(0))],
    );
    b.export_func("store8", st);
    let ld = b.func(grow_ty, vec![], &[I::LocalGet(0), I::I32Load8U(mem8(0))]);
    b.export_func("load8", ld);
    (
        b.finish(),
        Expect::Runs(vec![
            call("grow", &[65535], &[1]),
            call("store8", &[-1, 0x5a], &[]),
            call("load8", &[-1], &[0x5a]),
            call("grow", &[1], &[-1]),
        ]),
    )
}

fn maximal_initial_memory() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    b.memories.memory(memory(65536, None));
    let ty = b.ty(&[], &[I32]);
    let f = b.func(ty, vec![], &[I::MemorySize(0)]);
    b.export_func("size", f);
    (b.finish(), Expect::Runs(vec![call("size", &[], &[65536])]))
}

/// A 64-bit memory with the largest minimum validation allows (2^48 pages,
/// 16 EiB): the runtime caps 64-bit memories at 16 GiB and refuses it.
fn memory64_min_2_48() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    b.memories.memory(MemoryType {
        memory64: true,
        ..memory(1 << 48, None)
    });
    let ty = b.ty(&[], &[]);
    b.func(ty, vec![], &[]);
    (b.finish(), Expect::InstantiationRefused("exceeds 262144"))
}

fn table(min: u64, max: Option<u64>) -> TableType {
    TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: min,
        maximum: max,
        shared: false,
    }
}

fn huge_table_max() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    b.tables.table(table(10, Some(u32::MAX as u64)));
    let ty = b.ty(&[I32], &[I32]);
    let f = b.func(
        ty,
        vec![],
        &[
            I::RefNull(wasm_encoder::HeapType::FUNC),
            I::LocalGet(0),
            I::TableGrow(0),
        ],
    );
    b.export_func("grow", f);
    (
        b.finish(),
        Expect::Runs(vec![
            call("grow", &[1_000_000], &[10]),
            // Past the runtime's table limit (10M elements): grow fails, no trap.
            call("grow", &[i32::MAX], &[-1]),
        ]),
    )
}

fn huge_table_min() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    b.tables.table(table(10_000_000, None));
    let ty = b.ty(&[], &[I32]);
    let f = b.func(ty, vec![], &[I::TableSize(0)]);
    b.export_func("size", f);
    (
        b.finish(),
        Expect::Runs(vec![call("size", &[], &[10_000_000])]),
    )
}

fn oversized_table_min() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    b.tables.table(table(u32::MAX as u64, None));
    let ty = b.ty(&[], &[]);
    b.func(ty, vec![], &[]);
    (b.finish(), Expect::InstantiationRefused("too large"))
}

fn big_data_segment() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    b.memories.memory(memory(256, Some(256)));
    let len: i32 = 16 << 20;
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    b.data.active(0, &ConstExpr::i32_const(0), data);
    let ty = b.ty(&[I32], &[I32]);
    let f = b.func(
        ty,
        vec![],
        &[
            I::LocalGet(0),
            I::I32Load8U(wasm_encoder::MemArg {
                offset: 0,
                align: 0,
                target: wasm_encoder::MemArgTarget::Memory(0),
                ordering: None,
            }),
        ],
    );
    b.export_func("load8", f);
    let last = len - 1;
    (
        b.finish(),
        Expect::Runs(vec![call("load8", &[last], &[last % 251])]),
    )
}

fn many_imports() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    let ty = b.ty(&[I32], &[I32]);
    for i in 0..5_000 {
        b.import_func("env", &format!("f{i}"), ty);
    }
    let f = b.func(ty, vec![], &[I::LocalGet(0), I::Call(4_999)]);
    b.export_func("f", f);
    (b.finish(), Expect::Compiles)
}

fn many_exports() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    let ty = b.ty(&[], &[I32]);
    for i in 0..10_000 {
        let f = b.func(ty, vec![], &[I::I32Const(i)]);
        b.export_func(&format!("e{i}"), f);
    }
    (
        b.finish(),
        Expect::Runs(vec![call("e0", &[], &[0]), call("e9999", &[], &[9_999])]),
    )
}

fn max_locals() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    let ty = b.ty(&[I32], &[I32]);
    let n = 49_999; // wasmparser's limit is 50_000 including the parameter
    let body = [
        I::LocalGet(0),
        I::LocalSet(n),
        I::LocalGet(n),
        I::LocalGet(n - 1),
        I::I32Add,
    ];
    let f = b.func(ty, vec![(n, I32)], &body);
    b.export_func("f", f);
    (b.finish(), Expect::Runs(vec![call("f", &[41], &[41])]))
}

fn too_many_locals() -> (Vec<u8>, Expect) {
    let mut b = Builder::default();
    let ty = b.ty(&[], &[]);
    b.func(ty, vec![(50_001, I32)], &[]);
    (b.finish(), Expect::CompileRefused("locals"))
}

const CASES: &[Case] = &[
    Case {
        name: "functions_100k",
        what: "100,000 functions",
        build: many_functions,
    },
    Case {
        name: "instructions_1m",
        what: "one function of 1M instructions (i32.add chain)",
        build: million_instructions,
    },
    Case {
        name: "instructions_1m_locals",
        what: "one function of 1M instructions over 1,000 locals",
        build: million_instructions_locals,
    },
    Case {
        name: "blocks_10k_deep",
        what: "10,000 nested blocks",
        build: deep_blocks,
    },
    Case {
        name: "loops_ifs_10k_deep",
        what: "5,000 nested loop+if pairs",
        build: deep_ifs_and_loops,
    },
    Case {
        name: "br_table_100k",
        what: "br_table with 100,000 targets",
        build: huge_br_table,
    },
    Case {
        name: "memory_grow_to_4gib",
        what: "memory 1..65536 pages, grown to 4 GiB, last byte used",
        build: maximal_memory,
    },
    Case {
        name: "memory_initial_4gib",
        what: "memory with 65536 initial pages",
        build: maximal_initial_memory,
    },
    Case {
        name: "memory64_min_2_48",
        what: "64-bit memory with 2^48 initial pages",
        build: memory64_min_2_48,
    },
    Case {
        name: "table_max_u32",
        what: "table max 2^32-1, grown by 1M then by 2^31-1",
        build: huge_table_max,
    },
    Case {
        name: "table_min_10m",
        what: "table of 10,000,000 initial elements",
        build: huge_table_min,
    },
    Case {
        name: "table_min_u32",
        what: "table of 2^32-1 initial elements",
        build: oversized_table_min,
    },
    Case {
        name: "data_16mib",
        what: "one 16 MiB active data segment",
        build: big_data_segment,
    },
    Case {
        name: "imports_5k",
        what: "5,000 function imports (compile only)",
        build: many_imports,
    },
    Case {
        name: "exports_10k",
        what: "10,000 exported functions",
        build: many_exports,
    },
    Case {
        name: "locals_over_limit",
        what: "one function with 50,001 locals",
        build: too_many_locals,
    },
    Case {
        name: "locals_50k",
        what: "one function with 50,000 locals",
        build: max_locals,
    },
];

/// Peak resident set of this process, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs one case in this (child) process; returns the report line.
fn run_case(case: &Case) -> Result<String, String> {
    let (wasm, expect) = (case.build)();
    let mut config = waot_compiler::Config::new(target_lexicon::Triple::host());
    config.symbol_prefix = "hostile".to_string();
    // For investigating a slow case: WAOT_HOSTILE_OPT=none.
    if std::env::var("WAOT_HOSTILE_OPT").is_ok_and(|v| v == "none") {
        config.opt_level = waot_compiler::OptLevel::None;
    }
    let start = Instant::now();
    let compiled = waot_compiler::compile(&wasm, &config);
    let compile_time = start.elapsed();
    let object = match (compiled, &expect) {
        (Err(e), Expect::CompileRefused(what)) => {
            let msg = e.to_string();
            if !msg.contains(what) {
                return Err(format!("refused, but with \"{msg}\""));
            }
            return Ok(format!(
                "{:.2}|-|{}|{:.0}|refused: {msg}",
                compile_time.as_secs_f64(),
                wasm.len(),
                peak_rss_mib()
            ));
        }
        (Err(e), _) => return Err(format!("compile failed: {e}")),
        (Ok(_), Expect::CompileRefused(what)) => {
            return Err(format!("compiled, expected a refusal about {what}"))
        }
        (Ok(o), _) => o,
    };
    let obj_len = object.len();
    let run_start = Instant::now();
    let outcome = match expect {
        Expect::Compiles | Expect::CompileRefused(_) => "compiles".to_string(),
        Expect::InstantiationRefused(what) => {
            let module = load(&object)?;
            match Store::new().instantiate(&module, &[]) {
                Err(e) if format!("{e:?}").contains(what) => {
                    format!("instantiation refused: {e:?}")
                }
                other => return Err(format!("expected refusal ({what}), got {other:?}")),
            }
        }
        Expect::Runs(calls) => {
            let module = load(&object)?;
            let mut store = Store::new();
            let inst = store
                .instantiate(&module, &[])
                .map_err(|e| format!("instantiate: {e:?}"))?;
            for c in &calls {
                let Some(Extern::Func(f)) = store.get_export(inst, c.export) else {
                    return Err(format!("no export {}", c.export));
                };
                let got = store
                    .call(f, &c.args)
                    .map_err(|t| format!("{}: {t}", c.export))?;
                if got != c.want {
                    return Err(format!(
                        "{}({:?}) = {got:?}, want {:?}",
                        c.export, c.args, c.want
                    ));
                }
            }
            if calls.is_empty() {
                // Call every exported function once with zeros; it must return.
                for (name, e) in store.exports(inst) {
                    if let Extern::Func(f) = e {
                        let args: Vec<Val> = store
                            .func_type(f)
                            .params
                            .iter()
                            .map(|t| Val::default_for(*t))
                            .collect();
                        store.call(f, &args).map_err(|t| format!("{name}: {t}"))?;
                    }
                }
            }
            "compiles and runs".to_string()
        }
    };
    Ok(format!(
        "{:.2}|{:.3}|{}|{:.0}|{outcome} (object {:.1} MiB)",
        compile_time.as_secs_f64(),
        run_start.elapsed().as_secs_f64(),
        wasm.len(),
        peak_rss_mib(),
        obj_len as f64 / (1 << 20) as f64
    ))
}

fn load(object: &[u8]) -> Result<Arc<Module>, String> {
    let loaded = waot_runtime::loader::load_object(object).map_err(|e| e.to_string())?;
    let symbol = waot_abi::symbols::descriptor_symbol("hostile");
    Ok(Arc::new(
        Module::from_loaded(loaded, &symbol).map_err(|e| e.to_string())?,
    ))
}

#[test]
fn hostile_modules_compile_in_bounded_time_and_memory() {
    if let Ok(name) = std::env::var(CHILD_ENV) {
        let case = CASES.iter().find(|c| c.name == name).expect("known case");
        match run_case(case) {
            Ok(line) => println!("HOSTILE-OK|{line}"),
            Err(e) => println!("HOSTILE-FAIL|{e}"),
        }
        return;
    }
    let only = std::env::var("WAOT_HOSTILE_ONLY").ok();
    let mut failures = Vec::new();
    let mut table = vec![
        "| case | module | wasm bytes | compile s | run s | peak RSS MiB | outcome |".to_string(),
        "|---|---|---|---|---|---|---|".to_string(),
    ];
    for case in CASES {
        if only.as_deref().is_some_and(|o| !case.name.contains(o)) {
            continue;
        }
        let start = Instant::now();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "hostile_modules_compile_in_bounded_time_and_memory",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, case.name)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("child starts");
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break Some(s);
            }
            if start.elapsed() > CASE_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut out = String::new();
        if let Some(mut so) = child.stdout.take() {
            use std::io::Read;
            let _ = so.read_to_string(&mut out);
        }
        // libtest may print "test <name> ... " on the same line first.
        let line = out
            .lines()
            .find_map(|l| l.find("HOSTILE-").map(|i| &l[i..]));
        match (status, line) {
            (None, _) => failures.push(format!("{}: no result within {CASE_LIMIT:?}", case.name)),
            (Some(_), Some(l)) if l.starts_with("HOSTILE-OK|") => {
                let f: Vec<&str> = l["HOSTILE-OK|".len()..].splitn(5, '|').collect();
                table.push(format!(
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    case.name, case.what, f[2], f[0], f[1], f[3], f[4]
                ));
            }
            (Some(s), l) => failures.push(format!(
                "{}: {s}: {}",
                case.name,
                l.unwrap_or("(no report)")
            )),
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
