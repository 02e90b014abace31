//! The C header `waot compile --header` writes beside the object.
//!
//! The header is self-contained C99 (usable from C++): it declares the
//! runtime's generic C API (`waot_rt_*`, defined in `runtime-lib/src/capi.rs`,
//! guarded by `WAOT_RT_API` so headers of several modules can be included
//! together), and for the module:
//!
//! - `PREFIX_instance`, an opaque instance type;
//! - `PREFIX_imports`, one field per import (typed C function pointer plus
//!   `void *ctx`, or another instance's `waot_func*`, for functions;
//!   `waot_memory*`/`waot_table*`/`waot_global*` otherwise) and `wasi`, the
//!   runtime's WASI for WASI imports left null;
//! - `PREFIX_instantiate`, `PREFIX_free`, `PREFIX_trap_message`;
//! - typed `static inline` wrappers per export: calls, memory, global and
//!   table accessors, and `PREFIX_NAME_export`, the export as a handle
//!   other instances can import.
//!
//! Every wrapper that runs wasm returns a status (`WAOT_OK`, `WAOT_TRAP`,
//! `WAOT_ERROR`) and writes results through trailing out-parameters. All
//! identifiers start with `PREFIX_`; clashes (after turning export names into
//! C identifiers) get a `_<n>` suffix, so every export has a wrapper. The
//! conventions are documented in `docs/C-API.md`.

use std::collections::HashSet;
use std::fmt::Write;

use waot_abi::meta::{ExportKind, ExternType, FuncType, HeapType, ModuleMeta, ValType};
use waot_abi::symbols;

/// The shared part of every header: the runtime's generic C API.
const RUNTIME_API: &str = r#"#ifndef WAOT_RT_API
#define WAOT_RT_API 1

/* ---- waot runtime C API (shared by all waot-generated headers) ---------- */

/* Status of every call that runs WebAssembly code. */
#define WAOT_OK 0    /* returned normally; results were written */
#define WAOT_TRAP 1  /* the wasm code trapped; the instance stays usable */
#define WAOT_ERROR 2 /* refused: bad argument, wrong export, out of memory */

/* Value type codes (waot_rt_global_new, waot_rt_table_new). */
#define WAOT_I32 0u
#define WAOT_I64 1u
#define WAOT_F32 2u
#define WAOT_F64 3u
#define WAOT_V128 4u
#define WAOT_FUNCREF 5u
#define WAOT_EXTERNREF 6u

/* Kinds of waot_extern. */
#define WAOT_EXTERN_FUNC 0u
#define WAOT_EXTERN_TABLE 1u
#define WAOT_EXTERN_MEMORY 2u
#define WAOT_EXTERN_GLOBAL 3u

/* No maximum (waot_rt_memory_new, waot_rt_table_new). */
#define WAOT_NO_MAX UINT64_MAX

/* A v128 value: 16 bytes, little-endian lane order. */
typedef struct waot_v128 { uint8_t bytes[16]; } waot_v128;

/* A funcref: an opaque function reference (NULL is ref.null func). Valid
   while its instance lives; call it with waot_rt_call_ref. An externref is
   any host pointer (void *), passed through untouched; NULL is
   ref.null extern. */
typedef struct waot_funcref waot_funcref;

/* A GC reference (anyref, eqref, i31ref, structref, arrayref, nullref and
   struct and array types): an opaque 64-bit word, 0 is null. C can only
   hold it and pass it back to the instance that returned it (or one
   sharing its store); it is not a pointer C may dereference. */
typedef uint64_t waot_anyref;

/* One value slot: the value's bytes from offset 0. */
typedef union waot_val {
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
  waot_v128 v128;
  void *ref;             /* externref (and other non-function references) */
  waot_funcref *funcref; /* funcref and typed function references */
  waot_anyref anyref;    /* GC references */
} waot_val;

typedef struct waot_instance waot_instance; /* any module's instance */
typedef struct waot_module waot_module;     /* a compiled module (PREFIX_module) */
typedef struct waot_memory waot_memory;     /* host-created or exported memory */
typedef struct waot_table waot_table;       /* host-created or exported table */
typedef struct waot_global waot_global;     /* host-created or exported global */
typedef struct waot_func waot_func;         /* exported function */
typedef struct waot_wasi waot_wasi;         /* WASI configuration */

/* Generic function pointer; the generated adapters cast it back. */
typedef void (*waot_fnptr)(void);
/* Adapter from the runtime's value slots to a typed host function. */
typedef int (*waot_host_call)(waot_fnptr fn, void *ctx, waot_val *values);

/* One import, in the module's import order (built by PREFIX_instantiate). */
typedef struct waot_extern {
  uint32_t kind;       /* WAOT_EXTERN_* */
  waot_host_call call; /* functions: adapter, NULL for object or WASI */
  waot_fnptr fn;       /* functions: the typed host function */
  void *ctx;           /* functions: its user context */
  const void *object;  /* waot_func*, waot_memory*, waot_table*, waot_global* */
} waot_extern;

/* Instances. Prefer the typed PREFIX_* wrappers of each module's header. */
int waot_rt_instance_new(const waot_module *module, const waot_extern *imports,
                         size_t num_imports, const waot_wasi *wasi,
                         waot_instance **out);
void waot_rt_instance_free(waot_instance *inst);
int waot_rt_call(waot_instance *inst, uint32_t export_index, waot_val *values,
                 size_t num_values);
/* Calls a funcref of inst (or of an instance it imports from). */
int waot_rt_call_ref(waot_instance *inst, const waot_funcref *ref,
                     waot_val *values, size_t num_values);
/* Message of the last WAOT_TRAP/WAOT_ERROR of a call on inst ("" before). */
const char *waot_rt_trap_message(const waot_instance *inst);
/* Message of the last failed instantiation or object creation (this thread). */
const char *waot_rt_last_error(void);
uint8_t *waot_rt_memory(waot_instance *inst, uint32_t export_index, size_t *len);
int waot_rt_memory_grow(waot_instance *inst, uint32_t export_index,
                        uint64_t delta_pages, uint64_t *old_pages);
int waot_rt_global_get(waot_instance *inst, uint32_t export_index, waot_val *out);
int waot_rt_global_set(waot_instance *inst, uint32_t export_index,
                       const waot_val *value);
uint64_t waot_rt_table_size(waot_instance *inst, uint32_t export_index);
int waot_rt_table_get(waot_instance *inst, uint32_t export_index, uint64_t index,
                      void **out);
int waot_rt_table_set(waot_instance *inst, uint32_t export_index, uint64_t index,
                      void *ref);
int waot_rt_table_grow(waot_instance *inst, uint32_t export_index, uint64_t delta,
                       void *init, uint64_t *old_size);

/* Objects an instance can import: created by the host, or another
   instance's exports (waot_rt_export_*, which keep that instance's objects
   alive). Reference counted: each instance importing one keeps it alive;
   *_free drops the host's reference. */
waot_func *waot_rt_export_func(waot_instance *inst, uint32_t export_index);
waot_memory *waot_rt_export_memory(waot_instance *inst, uint32_t export_index);
waot_table *waot_rt_export_table(waot_instance *inst, uint32_t export_index);
waot_global *waot_rt_export_global(waot_instance *inst, uint32_t export_index);
waot_funcref *waot_rt_func_ref(const waot_func *func);
void waot_rt_func_free(waot_func *func);
waot_memory *waot_rt_memory_new(uint64_t min_pages, uint64_t max_pages);
uint8_t *waot_rt_memory_data(waot_memory *mem, size_t *len);
int waot_rt_memory_grow_by(waot_memory *mem, uint64_t delta_pages,
                           uint64_t *old_pages);
void waot_rt_memory_free(waot_memory *mem);
waot_table *waot_rt_table_new(uint32_t elem_type, uint64_t min, uint64_t max);
uint64_t waot_rt_table_len(const waot_table *table);
int waot_rt_table_read(const waot_table *table, uint64_t index, void **out);
int waot_rt_table_write(const waot_table *table, uint64_t index, void *ref);
int waot_rt_table_grow_by(const waot_table *table, uint64_t delta, void *init,
                          uint64_t *old_size);
void waot_rt_table_free(waot_table *table);
waot_global *waot_rt_global_new(uint32_t val_type, int is_mutable,
                                const waot_val *init);
void waot_rt_global_read(const waot_global *global, waot_val *out);
void waot_rt_global_write(const waot_global *global, const waot_val *value);
void waot_rt_global_free(waot_global *global);

/* WASI preview1 for instances: set PREFIX_imports.wasi, and WASI imports
   left NULL are served by the runtime (stdio is the process's). */
waot_wasi *waot_rt_wasi_new(void);
int waot_rt_wasi_arg(waot_wasi *cfg, const char *arg); /* first: argv[0] */
int waot_rt_wasi_env(waot_wasi *cfg, const char *name, const char *value);
int waot_rt_wasi_inherit_env(waot_wasi *cfg);
int waot_rt_wasi_preopen_dir(waot_wasi *cfg, const char *host_path,
                             const char *guest_path);
void waot_rt_wasi_free(waot_wasi *cfg);

#endif /* WAOT_RT_API */
"#;

/// C names of value types for parameters and results.
fn c_type(meta: &ModuleMeta<'_>, t: ValType) -> &'static str {
    match t {
        ValType::I32 => "int32_t",
        ValType::I64 => "int64_t",
        ValType::F32 => "float",
        ValType::F64 => "double",
        ValType::V128 => "waot_v128",
        _ if is_func_ref(meta, t) => "waot_funcref *",
        _ if is_gc_ref(meta, t) => "waot_anyref",
        // externref, and references C only passes along (exnref).
        _ => "void *",
    }
}

/// The `waot_val` member holding a value of type `t`.
fn member(meta: &ModuleMeta<'_>, t: ValType) -> &'static str {
    match t {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        _ if is_func_ref(meta, t) => "funcref",
        _ if is_gc_ref(meta, t) => "anyref",
        _ => "ref",
    }
}

/// Whether `t` is a function reference type (C type `waot_funcref *`).
fn is_func_ref(meta: &ModuleMeta<'_>, t: ValType) -> bool {
    t.as_ref_type().is_some_and(|r| match r.heap {
        HeapType::Func | HeapType::NoFunc => true,
        HeapType::Concrete(i) => meta.gc_type(i).is_none(),
        _ => false,
    })
}

/// Whether `t` is a GC reference type (C type `waot_anyref`).
fn is_gc_ref(meta: &ModuleMeta<'_>, t: ValType) -> bool {
    t.as_ref_type().is_some_and(|r| match r.heap {
        HeapType::Concrete(i) => meta.gc_type(i).is_some(),
        heap => heap.is_abstract_any(),
    })
}

/// A zero initializer for a local of type `t`.
fn zero(meta: &ModuleMeta<'_>, t: ValType) -> &'static str {
    match t {
        ValType::V128 => "{{0}}",
        _ if is_gc_ref(meta, t) => "0",
        ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) => "NULL",
        _ => "0",
    }
}

fn signature_text(ty: &FuncType) -> String {
    let list = |ts: &[ValType]| {
        ts.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(&ty.params), list(&ty.results))
}

/// A wasm name quoted for a C comment.
fn quoted(name: &str) -> String {
    format!("{name:?}")
        .replace("*/", "*\\/")
        .replace("??", "?\\?")
}

/// `name` as a C identifier fragment (never empty, never starting with a digit).
fn ident(name: &str) -> String {
    let s = symbols::sanitize(name);
    match s.chars().next() {
        None => "_".to_string(),
        Some(c) if c.is_ascii_digit() => format!("_{s}"),
        Some(_) => s,
    }
}

/// C and C++ keywords a struct field name might collide with.
const KEYWORDS: &[&str] = &[
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Bool",
    "_Complex",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "and_eq",
    "char16_t",
    "char32_t",
    "char8_t",
    "not_eq",
    "or_eq",
    "static_assert",
    "static_cast",
    "thread_local",
    "wchar_t",
    "xor_eq",
    "co_await",
    "co_return",
    "co_yield",
    "const_cast",
    "dynamic_cast",
    "reinterpret_cast",
];

/// Hands out unique identifiers: a clash gets `_2`, `_3`, ...
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    fn take(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while self.0.contains(&name) || KEYWORDS.contains(&name.as_str()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.0.insert(name.clone());
        name
    }
}

/// The header of a module compiled with symbol prefix `prefix` (a C
/// identifier, the one given to the compiler). `source` names the input in
/// the header's comment.
pub fn c_header(meta: &ModuleMeta<'_>, prefix: &str, source: &str) -> String {
    let mut h = String::new();
    let guard = format!("WAOT_{}_H", prefix.to_ascii_uppercase());
    let p = prefix;
    let mut names = Names::default();
    for reserved in [
        "instance",
        "imports",
        "instantiate",
        "free",
        "trap_message",
        "module",
        "meta",
    ] {
        names.take(&format!("{p}_{reserved}"));
    }
    let _ = writeln!(
        h,
        "/* {p}.h: C API of the WebAssembly module {}, compiled by waot.\n\
         * Generated by `waot compile --header`; do not edit.\n\
         *\n\
         * Build: cc app.c <object> libwaot_rt.a -lpthread -ldl -lm\n\
         * (`waot runtime -o libwaot_rt.a` writes the runtime archive.)\n\
         *\n\
         * Conventions (docs/C-API.md in the waot repository):\n\
         * - Every function that runs wasm code returns WAOT_OK, WAOT_TRAP or\n\
         *   WAOT_ERROR; after WAOT_TRAP/WAOT_ERROR, {p}_trap_message(inst)\n\
         *   says why. A trap never exits the process or unwinds C frames,\n\
         *   and the instance stays usable.\n\
         * - Parameters follow the instance pointer; results are written\n\
         *   through the trailing out-parameters (NULL: ignore), only on WAOT_OK.\n\
         * - wasm i32/i64/f32/f64 are int32_t/int64_t/float/double; v128 is\n\
         *   waot_v128; funcref is waot_funcref *, externref void * (NULL is null);\n\
         *   GC references (anyref, structs, arrays, ...) are waot_anyref (0 is null).\n\
         * - Instances are independent (each has its own memory) and may call\n\
         *   each other from host functions (re-entrant calls are allowed).\n\
         *   One thread at a time per instance.\n\
         */",
        quoted(source)
    );
    let _ = writeln!(h, "#ifndef {guard}\n#define {guard}\n");
    h.push_str("#include <stddef.h>\n#include <stdint.h>\n\n");
    h.push_str("#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    h.push_str(RUNTIME_API);
    h.push('\n');
    let _ = writeln!(
        h,
        "/* ---- module {} ---------------------------------------------------- */\n",
        quoted(source)
    );
    let _ = writeln!(h, "/* An instance of the module (opaque). */");
    let _ = writeln!(h, "typedef struct {p}_instance {p}_instance;\n");
    let _ = writeln!(h, "/* The compiled module, defined by the object file. */");
    let _ = writeln!(h, "extern const waot_module {p}_module;\n");

    // Imports: typed function pointer types and adapters, then the struct.
    let mut fields = Names::default();
    fields.take("wasi");
    struct ImportField {
        field: String,
        kind: &'static str,
        adapter: Option<String>,
    }
    let mut import_fields = Vec::new();
    let mut adapters = String::new();
    let mut typedefs = String::new();
    let mut struct_body = String::new();
    for (i, imp) in meta.imports.iter().enumerate() {
        let field = fields.take(&ident(&format!("{}_{}", imp.module, imp.name)));
        let what = format!("import {} {}", quoted(&imp.module), quoted(&imp.name));
        match &imp.ty {
            ExternType::Func(t) => {
                let ty = &meta.types[*t as usize];
                let fn_type = names.take(&format!("{p}_{field}_fn"));
                let mut params = vec!["void *ctx".to_string()];
                params.extend(
                    ty.params
                        .iter()
                        .enumerate()
                        .map(|(j, t)| format!("{} p{j}", c_type(meta, *t))),
                );
                params.extend(
                    ty.results
                        .iter()
                        .enumerate()
                        .map(|(j, t)| format!("{} *r{j}", c_type(meta, *t))),
                );
                let _ = writeln!(
                    typedefs,
                    "/* {what}: {}.\n   Return 0 after writing the results, non-zero to trap. */\n\
                     typedef int (*{fn_type})({});\n",
                    signature_text(ty),
                    params.join(", ")
                );
                let wasi_note = if imp.module == "wasi_snapshot_preview1" {
                    " (NULL with .wasi set: the runtime's WASI)"
                } else {
                    ""
                };
                let _ = writeln!(
                    struct_body,
                    "  /* {what}: {}{wasi_note}.\n     \
                     Set fn (called with ctx), or func: another instance's export. */\n  \
                     struct {{\n    {fn_type} fn;\n    void *ctx;\n    waot_func *func;\n  }} {field};",
                    signature_text(ty)
                );
                let adapter = names.take(&format!("{p}_import{i}_adapter"));
                let mut body = String::new();
                let _ = writeln!(
                    body,
                    "static inline int {adapter}(waot_fnptr fn, void *ctx, waot_val *v) {{"
                );
                let mut args = vec!["ctx".to_string()];
                for (j, t) in ty.params.iter().enumerate() {
                    args.push(format!("v[{j}].{}", member(meta, *t)));
                }
                for (j, t) in ty.results.iter().enumerate() {
                    let _ = writeln!(body, "  {} r{j} = {};", c_type(meta, *t), zero(meta, *t));
                    args.push(format!("&r{j}"));
                }
                let _ = writeln!(body, "  int status = (({fn_type})fn)({});", args.join(", "));
                if ty.params.is_empty() && ty.results.is_empty() {
                    body.push_str("  (void)v;\n");
                }
                if !ty.results.is_empty() {
                    body.push_str("  if (status == 0) {\n");
                    for (j, t) in ty.results.iter().enumerate() {
                        let _ = writeln!(body, "    v[{j}].{} = r{j};", member(meta, *t));
                    }
                    body.push_str("  }\n");
                }
                body.push_str("  return status;\n}\n\n");
                adapters.push_str(&body);
                import_fields.push(ImportField {
                    field,
                    kind: "WAOT_EXTERN_FUNC",
                    adapter: Some(adapter),
                });
            }
            ExternType::Memory(m) => {
                let max = m.max_pages.map_or("none".to_string(), |x| x.to_string());
                // waot_rt_memory_new makes 64 KiB pages only.
                let source = if m.page_size() == 1 {
                    "an export of a memory with 1-byte pages"
                } else {
                    "waot_rt_memory_new or an export"
                };
                let _ = writeln!(
                    struct_body,
                    "  /* {what}: memory, at least {} pages, max {max} ({source}) */\n  waot_memory *{field};",
                    m.min_pages
                );
                import_fields.push(ImportField {
                    field,
                    kind: "WAOT_EXTERN_MEMORY",
                    adapter: None,
                });
            }
            ExternType::Table(t) => {
                let _ = writeln!(
                    struct_body,
                    "  /* {what}: table of {}, at least {} elements (waot_rt_table_new or an export) */\n  waot_table *{field};",
                    t.element,
                    t.min
                );
                import_fields.push(ImportField {
                    field,
                    kind: "WAOT_EXTERN_TABLE",
                    adapter: None,
                });
            }
            ExternType::Global(g) => {
                let _ = writeln!(
                    struct_body,
                    "  /* {what}: global {}{} (waot_rt_global_new or an export) */\n  waot_global *{field};",
                    if g.mutable { "mut " } else { "" },
                    g.ty
                );
                import_fields.push(ImportField {
                    field,
                    kind: "WAOT_EXTERN_GLOBAL",
                    adapter: None,
                });
            }
            ExternType::Tag(_) => {
                // The C API has no tag objects: instantiation reports the
                // missing import.
                let _ = writeln!(
                    struct_body,
                    "  /* {what}: exception tag (not supported by the C API) */"
                );
            }
        }
    }
    h.push_str(&typedefs);
    let _ = writeln!(
        h,
        "/* What an instance imports; zero-initialize, then fill in. */\n\
         typedef struct {p}_imports {{\n  \
         /* Optional: the runtime's WASI (waot_rt_wasi_new) for WASI imports left NULL. */\n  \
         const waot_wasi *wasi;\n{struct_body}}} {p}_imports;\n"
    );
    h.push_str(&adapters);

    // Instantiate, free, trap message.
    let n = import_fields.len();
    let _ = writeln!(
        h,
        "/* Creates an instance (its own memory, tables and globals). imports may\n   \
         be NULL when the module imports nothing. Returns WAOT_OK and sets *out,\n   \
         or WAOT_ERROR/WAOT_TRAP (start function) with waot_rt_last_error(). */\n\
         static inline int {p}_instantiate(const {p}_imports *imports, {p}_instance **out) {{"
    );
    let _ = writeln!(h, "  waot_instance *inst = NULL;\n  int status;");
    if n == 0 {
        let _ = writeln!(
            h,
            "  status = waot_rt_instance_new(&{p}_module, NULL, 0, imports ? imports->wasi : NULL, &inst);"
        );
    } else {
        let _ = writeln!(h, "  waot_extern ext[{n}];");
        let _ = writeln!(h, "  if (imports == NULL) {{");
        let _ = writeln!(
            h,
            "    status = waot_rt_instance_new(&{p}_module, NULL, {n}, NULL, &inst);"
        );
        let _ = writeln!(
            h,
            "    *out = ({p}_instance *)inst;\n    return status;\n  }}"
        );
        for (i, f) in import_fields.iter().enumerate() {
            let field = &f.field;
            let _ = writeln!(h, "  ext[{i}].kind = {};", f.kind);
            match &f.adapter {
                Some(adapter) => {
                    let _ = writeln!(
                        h,
                        "  ext[{i}].call = imports->{field}.fn ? {adapter} : NULL;\n  \
                         ext[{i}].fn = (waot_fnptr)imports->{field}.fn;\n  \
                         ext[{i}].ctx = imports->{field}.ctx;\n  \
                         ext[{i}].object = imports->{field}.func;"
                    );
                }
                None => {
                    let _ = writeln!(
                        h,
                        "  ext[{i}].call = NULL;\n  ext[{i}].fn = NULL;\n  ext[{i}].ctx = NULL;\n  \
                         ext[{i}].object = imports->{field};"
                    );
                }
            }
        }
        let _ = writeln!(
            h,
            "  status = waot_rt_instance_new(&{p}_module, ext, {n}, imports->wasi, &inst);"
        );
    }
    let _ = writeln!(h, "  *out = ({p}_instance *)inst;\n  return status;\n}}\n");
    let _ = writeln!(
        h,
        "/* Frees an instance (NULL is ignored), not during a call into it. Its\n   \
         memory goes with it, unless other instances import its exports or\n   \
         export handles exist: then with the last of those. */\n\
         static inline void {p}_free({p}_instance *inst) {{\n  \
         waot_rt_instance_free((waot_instance *)inst);\n}}\n"
    );
    let _ = writeln!(
        h,
        "/* Why the last call on inst returned WAOT_TRAP or WAOT_ERROR, e.g.\n   \
         \"wasm trap: integer divide by zero\". Valid until the next call. */\n\
         static inline const char *{p}_trap_message(const {p}_instance *inst) {{\n  \
         return waot_rt_trap_message((const waot_instance *)inst);\n}}\n"
    );

    // Exports.
    let (num_imported_funcs, num_imported_tables, num_imported_memories, num_imported_globals) =
        meta.import_counts();
    let imported_memories: Vec<_> = meta
        .imports
        .iter()
        .filter_map(|i| match i.ty {
            ExternType::Memory(m) => Some(m),
            _ => None,
        })
        .collect();
    let imported_tables: Vec<_> = meta
        .imports
        .iter()
        .filter_map(|i| match i.ty {
            ExternType::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    let imported_globals: Vec<_> = meta
        .imports
        .iter()
        .filter_map(|i| match i.ty {
            ExternType::Global(g) => Some(g),
            _ => None,
        })
        .collect();
    for (e, export) in meta.exports.iter().enumerate() {
        let base = ident(&export.name);
        let what = format!("export {}", quoted(&export.name));
        match export.kind {
            ExportKind::Func => {
                let ty = &meta.types[meta.funcs[export.index as usize] as usize];
                let name = names.take(&format!("{p}_{base}"));
                let mut params = vec![format!("{p}_instance *inst")];
                params.extend(
                    ty.params
                        .iter()
                        .enumerate()
                        .map(|(j, t)| format!("{} p{j}", c_type(meta, *t))),
                );
                params.extend(
                    ty.results
                        .iter()
                        .enumerate()
                        .map(|(j, t)| format!("{} *r{j}", c_type(meta, *t))),
                );
                let is_import = export.index < num_imported_funcs;
                let _ = writeln!(
                    h,
                    "/* {what}: {}{} */\nstatic inline int {name}({}) {{",
                    signature_text(ty),
                    if is_import {
                        " (re-exported import)"
                    } else {
                        ""
                    },
                    params.join(", ")
                );
                let slots = ty.params.len().max(ty.results.len()).max(1);
                let _ = writeln!(h, "  waot_val v[{slots}];\n  int status;");
                if ty.params.is_empty() {
                    h.push_str("  v[0].i64 = 0;\n");
                }
                for (j, t) in ty.params.iter().enumerate() {
                    let _ = writeln!(h, "  v[{j}].{} = p{j};", member(meta, *t));
                }
                let _ = writeln!(
                    h,
                    "  status = waot_rt_call((waot_instance *)inst, {e}u, v, {slots});"
                );
                if !ty.results.is_empty() {
                    h.push_str("  if (status == WAOT_OK) {\n");
                    for (j, t) in ty.results.iter().enumerate() {
                        let _ = writeln!(h, "    if (r{j}) *r{j} = v[{j}].{};", member(meta, *t));
                    }
                    h.push_str("  }\n");
                }
                h.push_str("  return status;\n}\n\n");
            }
            ExportKind::Memory => {
                let name = names.take(&format!("{p}_{base}"));
                let grow = names.take(&format!("{p}_{base}_grow"));
                let i = export.index;
                let m = if i < num_imported_memories {
                    imported_memories[i as usize]
                } else {
                    meta.memories[(i - num_imported_memories) as usize]
                };
                let page = match m.page_size() {
                    1 => "1 byte".to_string(),
                    bytes => format!("{} KiB", bytes / 1024),
                };
                let _ = writeln!(
                    h,
                    "/* {what}: memory. Base address (never moves) and, in *len if not\n   \
                     NULL, the current size in bytes (changes when the memory grows). */\n\
                     static inline uint8_t *{name}({p}_instance *inst, size_t *len) {{\n  \
                     return waot_rt_memory((waot_instance *)inst, {e}u, len);\n}}\n\n\
                     /* {what}: grows the memory by delta_pages ({page} each). */\n\
                     static inline int {grow}({p}_instance *inst, uint64_t delta_pages, uint64_t *old_pages) {{\n  \
                     return waot_rt_memory_grow((waot_instance *)inst, {e}u, delta_pages, old_pages);\n}}\n"
                );
            }
            ExportKind::Global => {
                let i = export.index;
                let g = if i < num_imported_globals {
                    imported_globals[i as usize]
                } else {
                    meta.globals[(i - num_imported_globals) as usize].ty
                };
                let (ct, m) = (c_type(meta, g.ty), member(meta, g.ty));
                let get = names.take(&format!("{p}_{base}_get"));
                let _ = writeln!(
                    h,
                    "/* {what}: global {}{}. */\n\
                     static inline {ct} {get}({p}_instance *inst) {{\n  \
                     waot_val v;\n  v.i64 = 0;\n  \
                     waot_rt_global_get((waot_instance *)inst, {e}u, &v);\n  \
                     return v.{m};\n}}\n",
                    if g.mutable { "mut " } else { "" },
                    g.ty
                );
                if g.mutable {
                    let set = names.take(&format!("{p}_{base}_set"));
                    let _ = writeln!(
                        h,
                        "static inline int {set}({p}_instance *inst, {ct} value) {{\n  \
                         waot_val v;\n  v.i64 = 0;\n  v.{m} = value;\n  \
                         return waot_rt_global_set((waot_instance *)inst, {e}u, &v);\n}}\n"
                    );
                }
            }
            ExportKind::Table => {
                let i = export.index;
                let elem = if i < num_imported_tables {
                    imported_tables[i as usize].element
                } else {
                    meta.tables[(i - num_imported_tables) as usize].ty.element
                };
                let ct = c_type(meta, elem);
                // Declarator prefix: `void *out`, `waot_anyref out`.
                let decl = if ct.ends_with('*') {
                    ct.to_string()
                } else {
                    format!("{ct} ")
                };
                let size = names.take(&format!("{p}_{base}_size"));
                let get = names.take(&format!("{p}_{base}_get"));
                let set = names.take(&format!("{p}_{base}_set"));
                let grow = names.take(&format!("{p}_{base}_grow"));
                let _ = writeln!(
                    h,
                    "/* {what}: table of {elem}. Current size in elements. */\n\
                     static inline uint64_t {size}({p}_instance *inst) {{\n  \
                     return waot_rt_table_size((waot_instance *)inst, {e}u);\n}}\n\n\
                     /* {what}: element index (NULL: null); WAOT_ERROR out of bounds. */\n\
                     static inline int {get}({p}_instance *inst, uint64_t index, {decl}*out) {{\n  \
                     void *r = NULL;\n  \
                     int status = waot_rt_table_get((waot_instance *)inst, {e}u, index, &r);\n  \
                     if (status == WAOT_OK && out) *out = ({ct})(uintptr_t)r;\n  \
                     return status;\n}}\n\n\
                     /* {what}: sets element index; WAOT_ERROR out of bounds. */\n\
                     static inline int {set}({p}_instance *inst, uint64_t index, {decl}ref) {{\n  \
                     return waot_rt_table_set((waot_instance *)inst, {e}u, index, (void *)(uintptr_t)ref);\n}}\n\n\
                     /* {what}: grows the table by delta elements set to init. */\n\
                     static inline int {grow}({p}_instance *inst, uint64_t delta, {decl}init, uint64_t *old_size) {{\n  \
                     return waot_rt_table_grow((waot_instance *)inst, {e}u, delta, (void *)(uintptr_t)init, old_size);\n}}\n"
                );
            }
            // Tags have no C API accessors.
            ExportKind::Tag => {}
        }
    }
    // Export handles other instances can import (`PREFIX_imports` fields),
    // named after all accessors so they never take an export's name.
    for (e, export) in meta.exports.iter().enumerate() {
        let (ty, kind) = match export.kind {
            ExportKind::Func => ("waot_func", "func"),
            ExportKind::Memory => ("waot_memory", "memory"),
            ExportKind::Table => ("waot_table", "table"),
            ExportKind::Global => ("waot_global", "global"),
            ExportKind::Tag => continue,
        };
        let name = names.take(&format!("{p}_{}_export", ident(&export.name)));
        let _ = writeln!(
            h,
            "/* export {} as an import for other instances (keeps this instance's\n   \
             objects alive until freed with waot_rt_{kind}_free). */\n\
             static inline {ty} *{name}({p}_instance *inst) {{\n  \
             return waot_rt_export_{kind}((waot_instance *)inst, {e}u);\n}}\n",
            quoted(&export.name)
        );
    }

    h.push_str("#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n");
    let _ = writeln!(h, "#endif /* {guard} */");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::parse;

    #[test]
    fn names_are_prefixed_unique_and_typed() {
        let wasm = wat::parse_str(
            r#"(module
                (import "env" "cb" (func (param i32 f64) (result i64)))
                (import "env" "mem" (memory 1))
                (func (export "add") (param i32 i32) (result i32) local.get 0)
                (func (export "free") (result i32 f32) i32.const 0 f32.const 1)
                (func (export "a-b"))
                (func (export "a_b"))
                (global (export "g") (mut f64) (f64.const 1))
                (table (export "t") 1 funcref))"#,
        )
        .unwrap();
        let info = parse(&wasm, wasmparser::WasmFeatures::WASM2).unwrap();
        let h = c_header(&info.meta, "m", "m.wat");
        for want in [
            "typedef int (*m_env_cb_fn)(void *ctx, int32_t p0, double p1, int64_t *r0);",
            "static inline int m_add(m_instance *inst, int32_t p0, int32_t p1, int32_t *r0)",
            "static inline int m_free_2(m_instance *inst, int32_t *r0, float *r1)",
            "static inline int m_a_b(m_instance *inst)",
            "static inline int m_a_b_2(m_instance *inst)",
            "static inline double m_g_get(m_instance *inst)",
            "static inline int m_g_set(m_instance *inst, double value)",
            "static inline uint64_t m_t_size(m_instance *inst)",
            "waot_memory *env_mem;",
            "extern const waot_module m_module;",
        ] {
            assert!(h.contains(want), "missing `{want}` in\n{h}");
        }
    }

    #[test]
    fn references_tables_and_export_handles() {
        let wasm = wat::parse_str(
            r#"(module
                (import "env" "f" (func (param funcref externref)))
                (table (export "fs") 1 funcref)
                (table (export "xs") 1 externref)
                (global (export "x") (mut externref) (ref.null extern))
                (func (export "pick") (param externref) (result funcref) ref.null func)
                (func (export "pick_export")))"#,
        )
        .unwrap();
        let info = parse(&wasm, wasmparser::WasmFeatures::WASM2).unwrap();
        let h = c_header(&info.meta, "m", "m.wat");
        for want in [
            "typedef int (*m_env_f_fn)(void *ctx, waot_funcref * p0, void * p1);",
            "waot_func *func;\n  } env_f;",
            "ext[0].object = imports->env_f.func;",
            "static inline int m_fs_get(m_instance *inst, uint64_t index, waot_funcref **out)",
            "static inline int m_fs_set(m_instance *inst, uint64_t index, waot_funcref *ref)",
            "static inline int m_xs_grow(m_instance *inst, uint64_t delta, void *init, uint64_t *old_size)",
            "static inline waot_table *m_fs_export(m_instance *inst)",
            "static inline void * m_x_get(m_instance *inst)",
            "static inline waot_global *m_x_export(m_instance *inst)",
            "static inline int m_pick(m_instance *inst, void * p0, waot_funcref * *r0)",
            // The export named `pick_export` came first to the plain name.
            "static inline int m_pick_export(m_instance *inst)",
            "static inline waot_func *m_pick_export_2(m_instance *inst)",
        ] {
            assert!(h.contains(want), "missing `{want}` in\n{h}");
        }
    }

    #[test]
    fn gc_references_are_waot_anyref() {
        let wasm = wat::parse_str(
            r#"(module
                (type $s (struct (field i32)))
                (type $f (func (param i32)))
                (import "env" "take" (func (param (ref null $s) i31ref)))
                (table (export "t") 1 anyref)
                (global (export "g") (mut eqref) (ref.null eq))
                (func (export "mk") (param (ref null $f)) (result (ref $s) arrayref)
                  (struct.new_default $s) (ref.null array)))"#,
        )
        .unwrap();
        let info = parse(&wasm, crate::config::DEFAULT_FEATURES).unwrap();
        let h = c_header(&info.meta, "m", "m.wat");
        for want in [
            "typedef uint64_t waot_anyref;",
            "typedef int (*m_env_take_fn)(void *ctx, waot_anyref p0, waot_anyref p1);",
            "static inline int m_mk(m_instance *inst, waot_funcref * p0, waot_anyref *r0, waot_anyref *r1)",
            "if (r0) *r0 = v[0].anyref;",
            "static inline waot_anyref m_g_get(m_instance *inst)",
            "static inline int m_g_set(m_instance *inst, waot_anyref value)",
            "static inline int m_t_get(m_instance *inst, uint64_t index, waot_anyref *out)",
            "static inline int m_t_set(m_instance *inst, uint64_t index, waot_anyref ref)",
        ] {
            assert!(h.contains(want), "missing `{want}` in\n{h}");
        }
    }
}
