//! `waot inspect app.wasm [--json]`: what a module imports and exports, its
//! memories, tables, globals, start function, custom sections (with the
//! `producers` section decoded) and whether it is a WASI command or reactor.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use wasmparser::{
    CompositeInnerType, ExternalKind, Parser, Payload, ProducersSectionReader, TypeRef,
};

use super::read_module;

/// Arguments of `waot inspect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input module (.wasm or .wat).
    pub input: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Default)]
struct Report {
    imports: Vec<(String, String, String, String)>, // module, name, kind, type
    exports: Vec<(String, String, String)>,         // name, kind, type
    memories: Vec<String>,
    tables: Vec<String>,
    globals: Vec<String>,
    start: Option<u32>,
    custom: Vec<String>,
    producers: Vec<(String, Vec<(String, String)>)>,
}

/// Runs `waot inspect`.
pub fn run(args: &Args) -> Result<()> {
    let wasm = read_module(&args.input)?;
    let r = inspect(&wasm).context("malformed module")?;
    let wasi_imports = r.imports.iter().any(|i| i.0 == "wasi_snapshot_preview1");
    let old_wasi = r.imports.iter().any(|i| i.0 == "wasi_unstable");
    let has = |n: &str| r.exports.iter().any(|e| e.0 == n && e.1 == "func");
    let kind = if has("_start") {
        "command"
    } else if has("_initialize") || wasi_imports {
        "reactor"
    } else {
        "none"
    };
    let wasi = if wasi_imports {
        "preview1"
    } else if old_wasi {
        "preview0"
    } else {
        "none"
    };
    let out = if args.json {
        json(&r, kind, wasi)
    } else {
        text(&r, kind, wasi)
    };
    print!("{out}");
    Ok(())
}

fn inspect(wasm: &[u8]) -> Result<Report, wasmparser::BinaryReaderError> {
    let mut r = Report::default();
    let mut types: Vec<String> = Vec::new();
    let mut funcs: Vec<u32> = Vec::new(); // type index per function (imports first)
    let mut globals: Vec<String> = Vec::new();
    let mut memories: Vec<String> = Vec::new();
    let mut tables: Vec<String> = Vec::new();
    let sig = |types: &[String], t: u32| {
        types
            .get(t as usize)
            .cloned()
            .unwrap_or_else(|| format!("type {t}"))
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(s) => {
                for group in s {
                    types.extend(group?.types().map(|t| composite(&t.composite_type.inner)));
                }
            }
            Payload::ImportSection(s) => {
                for imp in s.into_imports() {
                    let imp = imp?;
                    let (kind, ty) = match imp.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            funcs.push(t);
                            ("func", sig(&types, t))
                        }
                        TypeRef::Memory(m) => {
                            memories.push(memory(&m));
                            ("memory", memory(&m))
                        }
                        TypeRef::Table(t) => {
                            tables.push(table(&t));
                            ("table", table(&t))
                        }
                        TypeRef::Global(g) => {
                            globals.push(global(&g));
                            ("global", global(&g))
                        }
                        TypeRef::Tag(_) => ("tag", String::new()),
                    };
                    r.imports.push((
                        imp.module.to_string(),
                        imp.name.to_string(),
                        kind.to_string(),
                        ty,
                    ));
                }
            }
            Payload::FunctionSection(s) => {
                for t in s {
                    funcs.push(t?);
                }
            }
            Payload::MemorySection(s) => {
                for m in s {
                    let m = memory(&m?);
                    r.memories.push(m.clone());
                    memories.push(m);
                }
            }
            Payload::TableSection(s) => {
                for t in s {
                    let t = table(&t?.ty);
                    r.tables.push(t.clone());
                    tables.push(t);
                }
            }
            Payload::GlobalSection(s) => {
                for g in s {
                    let g = global(&g?.ty);
                    r.globals.push(g.clone());
                    globals.push(g);
                }
            }
            Payload::ExportSection(s) => {
                for e in s {
                    let e = e?;
                    let i = e.index as usize;
                    let (kind, ty) = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => (
                            "func",
                            funcs.get(i).map(|t| sig(&types, *t)).unwrap_or_default(),
                        ),
                        ExternalKind::Memory => {
                            ("memory", memories.get(i).cloned().unwrap_or_default())
                        }
                        ExternalKind::Table => {
                            ("table", tables.get(i).cloned().unwrap_or_default())
                        }
                        ExternalKind::Global => {
                            ("global", globals.get(i).cloned().unwrap_or_default())
                        }
                        ExternalKind::Tag => ("tag", String::new()),
                    };
                    r.exports.push((e.name.to_string(), kind.to_string(), ty));
                }
            }
            Payload::StartSection { func, .. } => r.start = Some(func),
            Payload::CustomSection(c) => {
                r.custom.push(c.name().to_string());
                if c.name() == "producers" {
                    let reader = ProducersSectionReader::new(wasmparser::BinaryReader::new(
                        c.data(),
                        c.data_offset(),
                    ))?;
                    for field in reader {
                        let field = field?;
                        let mut values = Vec::new();
                        for v in field.values {
                            let v = v?;
                            values.push((v.name.to_string(), v.version.to_string()));
                        }
                        r.producers.push((field.name.to_string(), values));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(r)
}

/// A type-section entry as imports and exports show it: the signature of a
/// function type; struct and array types only keep the indices aligned.
fn composite(t: &CompositeInnerType) -> String {
    match t {
        CompositeInnerType::Func(f) => {
            let list = |v: &[wasmparser::ValType]| {
                v.iter().map(|t| val_type(*t)).collect::<Vec<_>>().join(" ")
            };
            format!("({}) -> ({})", list(f.params()), list(f.results()))
        }
        CompositeInnerType::Struct(_) => "struct".to_string(),
        CompositeInnerType::Array(_) => "array".to_string(),
        CompositeInnerType::Cont(_) => "cont".to_string(),
    }
}

fn limits(min: u64, max: Option<u64>) -> String {
    match max {
        Some(max) => format!("{min}..{max}"),
        None => format!("{min}.."),
    }
}

fn memory(m: &wasmparser::MemoryType) -> String {
    let mut s = format!("{} pages", limits(m.initial, m.maximum));
    if m.memory64 {
        s.push_str(", i64");
    }
    if m.shared {
        s.push_str(", shared");
    }
    if let Some(log2) = m.page_size_log2 {
        s.push_str(&format!(", pagesize {}", 1u128 << log2));
    }
    s
}

fn table(t: &wasmparser::TableType) -> String {
    let element = val_type(wasmparser::ValType::Ref(t.element_type));
    format!("{element} {}", limits(t.initial, t.maximum))
}

fn global(g: &wasmparser::GlobalType) -> String {
    if g.mutable {
        format!("mut {}", val_type(g.content_type))
    } else {
        val_type(g.content_type)
    }
}

/// A value type in text-format syntax: a typed reference to type index 3 is
/// `(ref null 3)` (wasmparser would print `(ref null (module 3))`).
fn val_type(t: wasmparser::ValType) -> String {
    use wasmparser::HeapType;
    if let wasmparser::ValType::Ref(r) = t {
        if let HeapType::Concrete(i) = r.heap_type() {
            if let Some(i) = i.as_module_index() {
                let null = if r.is_nullable() { "null " } else { "" };
                return format!("(ref {null}{i})");
            }
        }
    }
    t.to_string()
}

fn text(r: &Report, kind: &str, wasi: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "wasi: {wasi}\nkind: {kind}");
    let _ = writeln!(o, "imports:");
    for (m, n, k, t) in &r.imports {
        let _ = writeln!(o, "  {m}.{n}: {k} {t}");
    }
    let _ = writeln!(o, "exports:");
    for (n, k, t) in &r.exports {
        let _ = writeln!(o, "  {n}: {k} {t}");
    }
    for (title, list) in [
        ("memories", &r.memories),
        ("tables", &r.tables),
        ("globals", &r.globals),
    ] {
        let _ = writeln!(o, "{title}:");
        for (i, x) in list.iter().enumerate() {
            let _ = writeln!(o, "  {i}: {x}");
        }
    }
    if let Some(s) = r.start {
        let _ = writeln!(o, "start: func {s}");
    }
    let _ = writeln!(o, "custom sections:");
    for c in &r.custom {
        let _ = writeln!(o, "  {c}");
    }
    if !r.producers.is_empty() {
        let _ = writeln!(o, "producers:");
        for (field, values) in &r.producers {
            let list: Vec<String> = values
                .iter()
                .map(|(n, v)| {
                    if v.is_empty() {
                        n.clone()
                    } else {
                        format!("{n} {v}")
                    }
                })
                .collect();
            let _ = writeln!(o, "  {field}: {}", list.join(", "));
        }
    }
    o
}

/// A JSON string literal.
fn q(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn json(r: &Report, kind: &str, wasi: &str) -> String {
    let arr = |items: Vec<String>| format!("[{}]", items.join(","));
    let imports = arr(r
        .imports
        .iter()
        .map(|(m, n, k, t)| {
            format!(
                "{{\"module\":{},\"name\":{},\"kind\":{},\"type\":{}}}",
                q(m),
                q(n),
                q(k),
                q(t)
            )
        })
        .collect());
    let exports = arr(r
        .exports
        .iter()
        .map(|(n, k, t)| format!("{{\"name\":{},\"kind\":{},\"type\":{}}}", q(n), q(k), q(t)))
        .collect());
    let strings = |v: &[String]| arr(v.iter().map(|s| q(s)).collect());
    let producers = format!(
        "{{{}}}",
        r.producers
            .iter()
            .map(|(f, values)| format!(
                "{}:{}",
                q(f),
                arr(values
                    .iter()
                    .map(|(n, v)| format!("{{\"name\":{},\"version\":{}}}", q(n), q(v)))
                    .collect())
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    let start = r.start.map_or("null".to_string(), |s| s.to_string());
    format!(
        "{{\"wasi\":{},\"kind\":{},\"imports\":{imports},\"exports\":{exports},\"memories\":{},\"tables\":{},\"globals\":{},\"start\":{start},\"custom_sections\":{},\"producers\":{producers}}}\n",
        q(wasi),
        q(kind),
        strings(&r.memories),
        strings(&r.tables),
        strings(&r.globals),
        strings(&r.custom),
    )
}
