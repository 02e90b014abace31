//! Module metadata: what the runtime needs to know to instantiate a compiled
//! module, and the descriptor that ties it to the module's code.
//!
//! The compiler emits two data symbols per module (see [`crate::symbols`]):
//! the [`ModuleDescriptor`] (pointers, fixed up by relocations) and the
//! metadata blob it points to, produced by [`ModuleMeta::encode`] and read by
//! [`ModuleMeta::decode`].
//!
//! Blob format: the bytes `b"WAOTMETA"`, then the fields of [`ModuleMeta`] in
//! declaration order. Integers are unsigned LEB128 (signed values are
//! zigzag-encoded), strings and byte strings are a length then the bytes,
//! vectors are a length then the elements, `Option`s are a 0/1 byte then the
//! value, enums are a tag byte then their fields.

use alloc::string::String;
use alloc::vec::Vec;

use crate::vmctx::VmCounts;

/// Points from the module's data to its code; emitted by the compiler with
/// relocations, so every pointer is a real address once linked or loaded.
#[repr(C)]
#[derive(Debug)]
pub struct ModuleDescriptor {
    /// [`crate::ABI_VERSION`] of the compiler that wrote it.
    pub abi_version: u32,
    /// Padding; zero.
    pub _pad: u32,
    /// The metadata blob.
    pub meta: *const u8,
    /// Its length in bytes.
    pub meta_len: usize,
    /// Start of every piece of generated code, in *code index* order (see
    /// [`ModuleMeta::code_sizes`]): `num_defined_funcs` defined functions,
    /// then one array-call trampoline per type, then one host adapter per type.
    pub funcs: *const *const u8,
    /// Array-call trampoline per type index (`types.len()` entries).
    pub array_trampolines: *const *const u8,
    /// Host-call adapter per type index (`types.len()` entries).
    pub host_adapters: *const *const u8,
}

// SAFETY: a descriptor is immutable data describing immutable code.
unsafe impl Sync for ModuleDescriptor {}

/// A value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `v128`
    V128,
    /// `funcref`
    FuncRef,
    /// `externref`
    ExternRef,
    /// Any other reference type (WebAssembly 3.0 typed function
    /// references): `(ref null? <heap>)`. `funcref` and `externref` are
    /// always the variants above, never `Ref` (use [`ValType::reference`]),
    /// so equal types compare equal.
    Ref(RefType),
}

/// What a reference points to.
///
/// In [`ModuleMeta`] a `Concrete` index is a type index of the module; in
/// the runtime's types of functions, globals and tables living in a store
/// (and in host function types) it is a canonical type id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// `func`: any function.
    Func,
    /// `extern`: any host reference.
    Extern,
    /// `nofunc`: no function (only null has this type).
    NoFunc,
    /// `noextern`: no host reference (only null).
    NoExtern,
    /// `exn`: an exception (exception handling; `exnref` is `(ref null exn)`).
    Exn,
    /// `noexn`: no exception (only null).
    NoExn,
    /// `any`: the top of the GC hierarchy (i31, structs, arrays and host
    /// references converted with `any.convert_extern`).
    Any,
    /// `eq`: references comparable with `ref.eq` (i31, structs, arrays).
    Eq,
    /// `i31`: an unboxed 31-bit integer.
    I31,
    /// `struct`: any struct.
    Struct,
    /// `array`: any array.
    Array,
    /// `none`: the bottom of the GC hierarchy (only null).
    None,
    /// A function, struct or array of exactly this type (or a declared
    /// subtype).
    Concrete(u32),
}

impl HeapType {
    /// Whether values of this type are host references (`Val::ExternRef`)
    /// rather than function references.
    pub fn is_extern(self) -> bool {
        matches!(self, HeapType::Extern | HeapType::NoExtern)
    }

    /// Whether this is an abstract heap type of the GC (`any`) hierarchy.
    /// A `Concrete` struct or array type is in it too, which only the type
    /// section can tell.
    pub fn is_abstract_any(self) -> bool {
        matches!(
            self,
            HeapType::Any
                | HeapType::Eq
                | HeapType::I31
                | HeapType::Struct
                | HeapType::Array
                | HeapType::None
        )
    }
}

/// A reference type `(ref null? heap)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefType {
    /// Whether null is a value of the type.
    pub nullable: bool,
    /// What it points to.
    pub heap: HeapType,
}

impl ValType {
    /// The value type of reference type `r`, normalized: `(ref null func)`
    /// is [`ValType::FuncRef`], `(ref null extern)` [`ValType::ExternRef`].
    pub fn reference(r: RefType) -> ValType {
        match (r.nullable, r.heap) {
            (true, HeapType::Func) => ValType::FuncRef,
            (true, HeapType::Extern) => ValType::ExternRef,
            _ => ValType::Ref(r),
        }
    }

    /// The reference type, if this is one.
    pub fn as_ref_type(self) -> Option<RefType> {
        match self {
            ValType::FuncRef => Some(RefType {
                nullable: true,
                heap: HeapType::Func,
            }),
            ValType::ExternRef => Some(RefType {
                nullable: true,
                heap: HeapType::Extern,
            }),
            ValType::Ref(r) => Some(r),
            _ => None,
        }
    }

    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        self.as_ref_type().is_some()
    }

    /// Whether values of this type are host references (`externref` and
    /// its subtypes).
    pub fn is_extern_ref(self) -> bool {
        self.as_ref_type().is_some_and(|r| r.heap.is_extern())
    }

    /// The type with every concrete heap type index `i` replaced by
    /// `map(i)` (e.g. module type index -> canonical type id).
    pub fn map_concrete(self, map: impl Fn(u32) -> u32) -> ValType {
        match self {
            ValType::Ref(RefType {
                nullable,
                heap: HeapType::Concrete(i),
            }) => ValType::Ref(RefType {
                nullable,
                heap: HeapType::Concrete(map(i)),
            }),
            t => t,
        }
    }
}

impl core::fmt::Display for ValType {
    /// The text-format name: `i32`, `funcref`, `(ref null 3)`, `(ref extern)`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let r = match self {
            ValType::I32 => return f.write_str("i32"),
            ValType::I64 => return f.write_str("i64"),
            ValType::F32 => return f.write_str("f32"),
            ValType::F64 => return f.write_str("f64"),
            ValType::V128 => return f.write_str("v128"),
            ValType::FuncRef => return f.write_str("funcref"),
            ValType::ExternRef => return f.write_str("externref"),
            ValType::Ref(r) => r,
        };
        f.write_str(if r.nullable { "(ref null " } else { "(ref " })?;
        match r.heap {
            HeapType::Func => f.write_str("func")?,
            HeapType::Extern => f.write_str("extern")?,
            HeapType::NoFunc => f.write_str("nofunc")?,
            HeapType::NoExtern => f.write_str("noextern")?,
            HeapType::Exn => f.write_str("exn")?,
            HeapType::NoExn => f.write_str("noexn")?,
            HeapType::Any => f.write_str("any")?,
            HeapType::Eq => f.write_str("eq")?,
            HeapType::I31 => f.write_str("i31")?,
            HeapType::Struct => f.write_str("struct")?,
            HeapType::Array => f.write_str("array")?,
            HeapType::None => f.write_str("none")?,
            HeapType::Concrete(i) => write!(f, "{i}")?,
        }
        f.write_str(")")
    }
}

/// Subtyping and recursion-group facts of a type (WebAssembly 3.0 GC type
/// definitions; a plain `(type (func ...))` is final, has no supertype and
/// is alone in its group).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TypeInfo {
    /// Type index of the first type of its recursion group.
    pub rec_group: u32,
    /// Number of types in that group.
    pub rec_group_len: u32,
    /// Declared `final` (no type may name it as supertype).
    pub is_final: bool,
    /// Declared supertype index, if any.
    pub supertype: Option<u32>,
}

/// A function signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

/// How a struct field or array element is stored: a value type, or a
/// packed 8- or 16-bit integer (read back with `_s`/`_u` extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageType {
    /// `i8` (packed).
    I8,
    /// `i16` (packed).
    I16,
    /// A full value.
    Val(ValType),
}

/// A struct field or the element of an array type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldType {
    /// How it is stored.
    pub storage: StorageType,
    /// Whether `struct.set` / `array.set` may change it.
    pub mutable: bool,
}

/// A GC composite type: what a type-section entry defines when it is not a
/// function type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GcComposite {
    /// `(struct (field ...)*)`
    Struct(Vec<FieldType>),
    /// `(array (mut)? t)`
    Array(FieldType),
}

impl GcComposite {
    /// The composite with every concrete heap type index `i` replaced by
    /// `map(i)`.
    pub fn map_concrete(&self, map: impl Fn(u32) -> u32) -> GcComposite {
        let field = |f: &FieldType| FieldType {
            storage: match f.storage {
                StorageType::Val(v) => StorageType::Val(v.map_concrete(&map)),
                s => s,
            },
            mutable: f.mutable,
        };
        match self {
            GcComposite::Struct(fields) => GcComposite::Struct(fields.iter().map(field).collect()),
            GcComposite::Array(f) => GcComposite::Array(field(f)),
        }
    }
}

/// A struct or array type of a module's type section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GcTypeDef {
    /// Its type index (`types[index]` is an empty placeholder signature).
    pub index: u32,
    /// The definition.
    pub ty: GcComposite,
}

/// A memory's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryType {
    /// Initial size in pages.
    pub min_pages: u64,
    /// Maximum size in pages, if declared.
    pub max_pages: Option<u64>,
    /// Indexed by i64 (memory64).
    pub memory64: bool,
    /// Shared (threads).
    pub shared: bool,
    /// log2 of the page size in bytes: [`crate::WASM_PAGE_SIZE_LOG2`] (64 KiB)
    /// unless the custom-page-sizes proposal declared `(pagesize 1)`, 0.
    /// `min_pages`, `max_pages`, `memory.size` and `memory.grow` count
    /// these pages.
    pub page_size_log2: u8,
}

impl MemoryType {
    /// The page size in bytes.
    pub fn page_size(&self) -> u64 {
        1 << self.page_size_log2
    }
}

/// A table's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableType {
    /// Element type ([`ValType::FuncRef`] or [`ValType::ExternRef`]).
    pub element: ValType,
    /// Initial size in elements.
    pub min: u64,
    /// Maximum size, if declared.
    pub max: Option<u64>,
    /// Indexed by i64 (memory64 proposal's table64).
    pub table64: bool,
}

/// A global's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalType {
    /// Value type.
    pub ty: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// One instruction of a constant expression (evaluated on a stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstOp {
    /// `i32.const`
    I32(i32),
    /// `i64.const`
    I64(i64),
    /// `f32.const` (bits)
    F32(u32),
    /// `f64.const` (bits)
    F64(u64),
    /// `v128.const`
    V128(u128),
    /// `ref.null`
    RefNull,
    /// `ref.func` of a function index
    RefFunc(u32),
    /// `global.get` of a global index
    GlobalGet(u32),
    /// `i32.add`
    I32Add,
    /// `i32.sub`
    I32Sub,
    /// `i32.mul`
    I32Mul,
    /// `i64.add`
    I64Add,
    /// `i64.sub`
    I64Sub,
    /// `i64.mul`
    I64Mul,
    /// `ref.i31`
    RefI31,
    /// `struct.new` of a type index (fields popped in order)
    StructNew(u32),
    /// `struct.new_default` of a type index
    StructNewDefault(u32),
    /// `array.new` of a type index (pops the value, then the length)
    ArrayNew(u32),
    /// `array.new_default` of a type index (pops the length)
    ArrayNewDefault(u32),
    /// `array.new_fixed` of a type index and element count
    ArrayNewFixed(u32, u32),
    /// `any.convert_extern`
    AnyConvertExtern,
    /// `extern.convert_any`
    ExternConvertAny,
}

/// A constant expression.
pub type ConstExpr = Vec<ConstOp>;

/// What an import or export refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    /// A function of this type index.
    Func(u32),
    /// A memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
    /// A global.
    Global(GlobalType),
    /// An exception tag whose parameters are those of this function type
    /// index.
    Tag(u32),
}

/// An import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
    /// What is imported.
    pub ty: ExternType,
}

/// Kind of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// Function index space.
    Func,
    /// Table index space.
    Table,
    /// Memory index space.
    Memory,
    /// Global index space.
    Global,
    /// Tag index space.
    Tag,
}

/// An export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// Export name.
    pub name: String,
    /// Index space.
    pub kind: ExportKind,
    /// Index in that space (imports first).
    pub index: u32,
}

/// A defined global.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalDef {
    /// Its type.
    pub ty: GlobalType,
    /// Initializer.
    pub init: ConstExpr,
}

/// A defined table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDef {
    /// Its type.
    pub ty: TableType,
    /// Initial value of every element (null when absent).
    pub init: Option<ConstExpr>,
}

/// How a segment is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SegmentMode {
    /// Copied at instantiation into memory/table `index` at `offset`, then dropped.
    Active {
        /// Memory or table index.
        index: u32,
        /// Destination offset.
        offset: ConstExpr,
    },
    /// Used by `memory.init` / `table.init`.
    Passive,
    /// Only declares functions for `ref.func`; dropped at instantiation.
    Declared,
}

/// An element segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElemSegment {
    /// Mode.
    pub mode: SegmentMode,
    /// Element type.
    pub element: ValType,
    /// One constant expression per element.
    pub items: Vec<ConstExpr>,
}

/// A data segment; the bytes borrow from the metadata blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSegment<'a> {
    /// Mode (never `Declared`).
    pub mode: SegmentMode,
    /// Contents.
    pub bytes: &'a [u8],
}

/// A place where generated code can trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapSite {
    /// Code index (a defined function index, or a trampoline/adapter; see
    /// [`ModuleMeta::code_sizes`]).
    pub defined_func: u32,
    /// Byte offset of the trapping instruction from the function's start.
    pub code_offset: u32,
    /// Raw trap code, see [`crate::trap`].
    pub code: u8,
}

/// Everything the runtime needs to instantiate a module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleMeta<'a> {
    /// Module name from the name section.
    pub name: Option<String>,
    /// Type section: the function type of each index (an empty placeholder
    /// for struct and array types, which are in `gc_types`).
    pub types: Vec<FuncType>,
    /// The struct and array types of the type section, sorted by index.
    pub gc_types: Vec<GcTypeDef>,
    /// Recursion groups and subtyping of `types`, one entry per type; may be
    /// empty when every type is the default (see [`ModuleMeta::type_info`]).
    pub type_infos: Vec<TypeInfo>,
    /// Imports in order.
    pub imports: Vec<Import>,
    /// Type index of every function, imported first.
    pub funcs: Vec<u32>,
    /// Defined tables (imported ones are in `imports`).
    pub tables: Vec<TableDef>,
    /// Defined memories.
    pub memories: Vec<MemoryType>,
    /// Defined globals.
    pub globals: Vec<GlobalDef>,
    /// Exports in order.
    pub exports: Vec<Export>,
    /// Start function index.
    pub start: Option<u32>,
    /// Element segments.
    pub elems: Vec<ElemSegment>,
    /// Data segments.
    pub datas: Vec<DataSegment<'a>>,
    /// Name-section name of each function index that has one (sorted).
    pub func_names: Vec<(u32, String)>,
    /// Machine-code size of every piece of generated code, by *code index*:
    /// `0..D` are the defined functions (D = defined function count), `D + t`
    /// the array-call trampoline of type `t`, `D + T + t` the host adapter of
    /// type `t` (T = number of types). The runtime uses these ranges to tell
    /// whether a faulting pc is inside wasm code.
    pub code_sizes: Vec<u32>,
    /// Trap sites of all generated code, sorted by (code index, code_offset).
    pub traps: Vec<TrapSite>,
    /// Function type index of every defined tag (imported ones are in
    /// `imports`).
    pub tags: Vec<u32>,
    /// Whether the code checks for a pending exception after every call
    /// (the module has tags, `try_table` or `throw_ref`); the runtime sets
    /// `VMCTX_FLAG_EXCEPTIONS` from it.
    pub uses_exceptions: bool,
}

impl ModuleMeta<'_> {
    /// Number of imports of each kind: (funcs, tables, memories, globals).
    pub fn import_counts(&self) -> (u32, u32, u32, u32) {
        let mut c = (0, 0, 0, 0);
        for imp in &self.imports {
            match imp.ty {
                ExternType::Func(_) => c.0 += 1,
                ExternType::Table(_) => c.1 += 1,
                ExternType::Memory(_) => c.2 += 1,
                ExternType::Global(_) => c.3 += 1,
                ExternType::Tag(_) => {}
            }
        }
        c
    }

    /// The counts that determine the VM context layout.
    pub fn vm_counts(&self) -> VmCounts {
        let (funcs, tables, memories, globals) = self.import_counts();
        VmCounts {
            num_types: self.types.len() as u32,
            num_imported_funcs: funcs,
            num_defined_funcs: self.funcs.len() as u32 - funcs,
            num_memories: memories + self.memories.len() as u32,
            num_tables: tables + self.tables.len() as u32,
            num_imported_globals: globals,
            num_defined_globals: self.globals.len() as u32,
            num_tags: self.num_imported_tags() + self.tags.len() as u32,
        }
    }

    /// Number of imported tags (tag index of defined tag 0).
    pub fn num_imported_tags(&self) -> u32 {
        let tags = self
            .imports
            .iter()
            .filter(|i| matches!(i.ty, ExternType::Tag(_)));
        tags.count() as u32
    }

    /// Function type index of tag `index` (imports first).
    pub fn tag_type(&self, index: u32) -> Option<u32> {
        let imported = self.imports.iter().filter_map(|i| match i.ty {
            ExternType::Tag(t) => Some(t),
            _ => None,
        });
        imported
            .chain(self.tags.iter().copied())
            .nth(index as usize)
    }

    /// The struct or array definition of type `index`, or `None` for a
    /// function type.
    pub fn gc_type(&self, index: u32) -> Option<&GcComposite> {
        self.gc_types
            .binary_search_by_key(&index, |d| d.index)
            .ok()
            .map(|i| &self.gc_types[i].ty)
    }

    /// Recursion group and subtyping of type `index`.
    pub fn type_info(&self, index: u32) -> TypeInfo {
        self.type_infos
            .get(index as usize)
            .copied()
            .unwrap_or(TypeInfo {
                rec_group: index,
                rec_group_len: 1,
                is_final: true,
                supertype: None,
            })
    }

    /// The name-section name of function `index`, if any.
    pub fn func_name(&self, index: u32) -> Option<&str> {
        self.func_names
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .map(|i| self.func_names[i].1.as_str())
    }

    /// Encodes the metadata blob.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(MAGIC);
        w.opt(&self.name, |w, s| w.str(s));
        w.vec(&self.types, |w, t| w.func_type(t));
        w.vec(&self.gc_types, |w, d| {
            w.u64(d.index as u64);
            w.gc_composite(&d.ty);
        });
        w.vec(&self.type_infos, |w, t| {
            w.u64(t.rec_group as u64);
            w.u64(t.rec_group_len as u64);
            w.u8(t.is_final as u8);
            w.opt(&t.supertype, |w, s| w.u64(*s as u64));
        });
        w.vec(&self.imports, |w, i| {
            w.str(&i.module);
            w.str(&i.name);
            w.extern_type(&i.ty);
        });
        w.vec(&self.funcs, |w, f| w.u64(*f as u64));
        w.vec(&self.tables, |w, t| {
            w.table_type(&t.ty);
            w.opt(&t.init, |w, e| w.const_expr(e));
        });
        w.vec(&self.memories, |w, m| w.memory_type(m));
        w.vec(&self.globals, |w, g| {
            w.global_type(&g.ty);
            w.const_expr(&g.init);
        });
        w.vec(&self.exports, |w, e| {
            w.str(&e.name);
            w.u8(e.kind as u8);
            w.u64(e.index as u64);
        });
        w.opt(&self.start, |w, s| w.u64(*s as u64));
        w.vec(&self.elems, |w, e| {
            w.mode(&e.mode);
            w.val_type(e.element);
            w.vec(&e.items, |w, i| w.const_expr(i));
        });
        w.vec(&self.datas, |w, d| {
            w.mode(&d.mode);
            w.bytes(d.bytes);
        });
        w.vec(&self.func_names, |w, (i, n)| {
            w.u64(*i as u64);
            w.str(n);
        });
        w.vec(&self.code_sizes, |w, s| w.u64(*s as u64));
        w.vec(&self.traps, |w, t| {
            w.u64(t.defined_func as u64);
            w.u64(t.code_offset as u64);
            w.u8(t.code);
        });
        w.vec(&self.tags, |w, t| w.u64(*t as u64));
        w.u8(self.uses_exceptions as u8);
        w.0
    }
}

impl<'a> ModuleMeta<'a> {
    /// Decodes a blob written by [`ModuleMeta::encode`]; data segment bytes
    /// borrow from `blob`.
    pub fn decode(blob: &'a [u8]) -> Result<ModuleMeta<'a>, DecodeError> {
        let mut r = Reader { buf: blob, pos: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(DecodeError { offset: 0 });
        }
        let meta = ModuleMeta {
            name: r.opt(|r| r.string())?,
            types: r.vec(|r| r.func_type())?,
            gc_types: r.vec(|r| {
                Ok(GcTypeDef {
                    index: r.u32()?,
                    ty: r.gc_composite()?,
                })
            })?,
            type_infos: r.vec(|r| {
                Ok(TypeInfo {
                    rec_group: r.u32()?,
                    rec_group_len: r.u32()?,
                    is_final: r.bool()?,
                    supertype: r.opt(|r| r.u32())?,
                })
            })?,
            imports: r.vec(|r| {
                Ok(Import {
                    module: r.string()?,
                    name: r.string()?,
                    ty: r.extern_type()?,
                })
            })?,
            funcs: r.vec(|r| r.u32())?,
            tables: r.vec(|r| {
                Ok(TableDef {
                    ty: r.table_type()?,
                    init: r.opt(|r| r.const_expr())?,
                })
            })?,
            memories: r.vec(|r| r.memory_type())?,
            globals: r.vec(|r| {
                Ok(GlobalDef {
                    ty: r.global_type()?,
                    init: r.const_expr()?,
                })
            })?,
            exports: r.vec(|r| {
                Ok(Export {
                    name: r.string()?,
                    kind: match r.u8()? {
                        0 => ExportKind::Func,
                        1 => ExportKind::Table,
                        2 => ExportKind::Memory,
                        3 => ExportKind::Global,
                        4 => ExportKind::Tag,
                        _ => return Err(r.err()),
                    },
                    index: r.u32()?,
                })
            })?,
            start: r.opt(|r| r.u32())?,
            elems: r.vec(|r| {
                Ok(ElemSegment {
                    mode: r.mode()?,
                    element: r.val_type()?,
                    items: r.vec(|r| r.const_expr())?,
                })
            })?,
            datas: r.vec(|r| {
                Ok(DataSegment {
                    mode: r.mode()?,
                    bytes: r.bytes()?,
                })
            })?,
            func_names: r.vec(|r| Ok((r.u32()?, r.string()?)))?,
            code_sizes: r.vec(|r| r.u32())?,
            traps: r.vec(|r| {
                Ok(TrapSite {
                    defined_func: r.u32()?,
                    code_offset: r.u32()?,
                    code: r.u8()?,
                })
            })?,
            tags: r.vec(|r| r.u32())?,
            uses_exceptions: r.bool()?,
        };
        if r.pos != blob.len() {
            return Err(r.err());
        }
        Ok(meta)
    }
}

const MAGIC: &[u8; 8] = b"WAOTMETA";

/// The metadata blob is corrupt (it was not written by a matching compiler).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset in the blob where decoding failed.
    pub offset: usize,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "corrupt waot module metadata at offset {}", self.offset)
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u64(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }
    fn i64(&mut self, v: i64) {
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn vec<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.u64(items.len() as u64);
        for item in items {
            f(self, item);
        }
    }
    fn opt<T>(&mut self, v: &Option<T>, f: impl FnOnce(&mut Self, &T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
            }
        }
    }
    fn val_type(&mut self, t: ValType) {
        let tag = match t {
            ValType::I32 => 0,
            ValType::I64 => 1,
            ValType::F32 => 2,
            ValType::F64 => 3,
            ValType::V128 => 4,
            ValType::FuncRef => 5,
            ValType::ExternRef => 6,
            ValType::Ref(r) => {
                self.u8(7);
                self.u8(r.nullable as u8);
                match r.heap {
                    HeapType::Func => self.u8(0),
                    HeapType::Extern => self.u8(1),
                    HeapType::NoFunc => self.u8(2),
                    HeapType::NoExtern => self.u8(3),
                    HeapType::Exn => self.u8(5),
                    HeapType::NoExn => self.u8(6),
                    HeapType::Any => self.u8(7),
                    HeapType::Eq => self.u8(8),
                    HeapType::I31 => self.u8(9),
                    HeapType::Struct => self.u8(10),
                    HeapType::Array => self.u8(11),
                    HeapType::None => self.u8(12),
                    HeapType::Concrete(i) => {
                        self.u8(4);
                        self.u64(i as u64);
                    }
                }
                return;
            }
        };
        self.u8(tag);
    }
    fn func_type(&mut self, t: &FuncType) {
        self.vec(&t.params, |w, p| w.val_type(*p));
        self.vec(&t.results, |w, p| w.val_type(*p));
    }
    fn field_type(&mut self, f: &FieldType) {
        match f.storage {
            StorageType::I8 => self.u8(0),
            StorageType::I16 => self.u8(1),
            StorageType::Val(v) => {
                self.u8(2);
                self.val_type(v);
            }
        }
        self.u8(f.mutable as u8);
    }
    fn gc_composite(&mut self, c: &GcComposite) {
        match c {
            GcComposite::Struct(fields) => {
                self.u8(0);
                self.vec(fields, |w, f| w.field_type(f));
            }
            GcComposite::Array(f) => {
                self.u8(1);
                self.field_type(f);
            }
        }
    }
    fn memory_type(&mut self, m: &MemoryType) {
        self.u64(m.min_pages);
        self.opt(&m.max_pages, |w, v| w.u64(*v));
        self.u8(m.memory64 as u8);
        self.u8(m.shared as u8);
        self.u8(m.page_size_log2);
    }
    fn table_type(&mut self, t: &TableType) {
        self.val_type(t.element);
        self.u64(t.min);
        self.opt(&t.max, |w, v| w.u64(*v));
        self.u8(t.table64 as u8);
    }
    fn global_type(&mut self, g: &GlobalType) {
        self.val_type(g.ty);
        self.u8(g.mutable as u8);
    }
    fn extern_type(&mut self, t: &ExternType) {
        match t {
            ExternType::Func(i) => {
                self.u8(0);
                self.u64(*i as u64);
            }
            ExternType::Table(t) => {
                self.u8(1);
                self.table_type(t);
            }
            ExternType::Memory(m) => {
                self.u8(2);
                self.memory_type(m);
            }
            ExternType::Global(g) => {
                self.u8(3);
                self.global_type(g);
            }
            ExternType::Tag(t) => {
                self.u8(4);
                self.u64(*t as u64);
            }
        }
    }
    fn const_expr(&mut self, e: &ConstExpr) {
        self.vec(e, |w, op| match *op {
            ConstOp::I32(v) => {
                w.u8(0);
                w.i64(v as i64);
            }
            ConstOp::I64(v) => {
                w.u8(1);
                w.i64(v);
            }
            ConstOp::F32(v) => {
                w.u8(2);
                w.u64(v as u64);
            }
            ConstOp::F64(v) => {
                w.u8(3);
                w.u64(v);
            }
            ConstOp::V128(v) => {
                w.u8(4);
                w.0.extend_from_slice(&v.to_le_bytes());
            }
            ConstOp::RefNull => w.u8(5),
            ConstOp::RefFunc(i) => {
                w.u8(6);
                w.u64(i as u64);
            }
            ConstOp::GlobalGet(i) => {
                w.u8(7);
                w.u64(i as u64);
            }
            ConstOp::I32Add => w.u8(8),
            ConstOp::I32Sub => w.u8(9),
            ConstOp::I32Mul => w.u8(10),
            ConstOp::I64Add => w.u8(11),
            ConstOp::I64Sub => w.u8(12),
            ConstOp::I64Mul => w.u8(13),
            ConstOp::RefI31 => w.u8(14),
            ConstOp::StructNew(t) => {
                w.u8(15);
                w.u64(t as u64);
            }
            ConstOp::StructNewDefault(t) => {
                w.u8(16);
                w.u64(t as u64);
            }
            ConstOp::ArrayNew(t) => {
                w.u8(17);
                w.u64(t as u64);
            }
            ConstOp::ArrayNewDefault(t) => {
                w.u8(18);
                w.u64(t as u64);
            }
            ConstOp::ArrayNewFixed(t, n) => {
                w.u8(19);
                w.u64(t as u64);
                w.u64(n as u64);
            }
            ConstOp::AnyConvertExtern => w.u8(20),
            ConstOp::ExternConvertAny => w.u8(21),
        });
    }
    fn mode(&mut self, m: &SegmentMode) {
        match m {
            SegmentMode::Active { index, offset } => {
                self.u8(0);
                self.u64(*index as u64);
                self.const_expr(offset);
            }
            SegmentMode::Passive => self.u8(1),
            SegmentMode::Declared => self.u8(2),
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err(&self) -> DecodeError {
        DecodeError { offset: self.pos }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(self.err())?;
        let s = self.buf.get(self.pos..end).ok_or(self.err())?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.u8()?;
            if shift >= 64 {
                return Err(self.err());
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        u32::try_from(self.u64()?).map_err(|_| self.err())
    }
    fn i64(&mut self) -> Result<i64, DecodeError> {
        let v = self.u64()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
    fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.err()),
        }
    }
    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = usize::try_from(self.u64()?).map_err(|_| self.err())?;
        self.take(n)
    }
    fn string(&mut self) -> Result<String, DecodeError> {
        let b = self.bytes()?;
        core::str::from_utf8(b)
            .map(String::from)
            .map_err(|_| self.err())
    }
    fn vec<T>(
        &mut self,
        mut f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = self.u64()?;
        // Each element takes at least one byte: refuse counts the blob can't hold.
        if n > (self.buf.len() - self.pos) as u64 {
            return Err(self.err());
        }
        (0..n).map(|_| f(self)).collect()
    }
    fn opt<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        if self.bool()? {
            Ok(Some(f(self)?))
        } else {
            Ok(None)
        }
    }
    fn val_type(&mut self) -> Result<ValType, DecodeError> {
        Ok(match self.u8()? {
            0 => ValType::I32,
            1 => ValType::I64,
            2 => ValType::F32,
            3 => ValType::F64,
            4 => ValType::V128,
            5 => ValType::FuncRef,
            6 => ValType::ExternRef,
            7 => {
                let nullable = self.bool()?;
                let heap = match self.u8()? {
                    0 => HeapType::Func,
                    1 => HeapType::Extern,
                    2 => HeapType::NoFunc,
                    3 => HeapType::NoExtern,
                    4 => HeapType::Concrete(self.u32()?),
                    5 => HeapType::Exn,
                    6 => HeapType::NoExn,
                    7 => HeapType::Any,
                    8 => HeapType::Eq,
                    9 => HeapType::I31,
                    10 => HeapType::Struct,
                    11 => HeapType::Array,
                    12 => HeapType::None,
                    _ => return Err(self.err()),
                };
                ValType::reference(RefType { nullable, heap })
            }
            _ => return Err(self.err()),
        })
    }
    fn field_type(&mut self) -> Result<FieldType, DecodeError> {
        let storage = match self.u8()? {
            0 => StorageType::I8,
            1 => StorageType::I16,
            2 => StorageType::Val(self.val_type()?),
            _ => return Err(self.err()),
        };
        Ok(FieldType {
            storage,
            mutable: self.bool()?,
        })
    }
    fn gc_composite(&mut self) -> Result<GcComposite, DecodeError> {
        Ok(match self.u8()? {
            0 => GcComposite::Struct(self.vec(|r| r.field_type())?),
            1 => GcComposite::Array(self.field_type()?),
            _ => return Err(self.err()),
        })
    }
    fn func_type(&mut self) -> Result<FuncType, DecodeError> {
        Ok(FuncType {
            params: self.vec(|r| r.val_type())?,
            results: self.vec(|r| r.val_type())?,
        })
    }
    fn memory_type(&mut self) -> Result<MemoryType, DecodeError> {
        Ok(MemoryType {
            min_pages: self.u64()?,
            max_pages: self.opt(|r| r.u64())?,
            memory64: self.bool()?,
            shared: self.bool()?,
            page_size_log2: self.page_size_log2()?,
        })
    }
    /// Only the page sizes validation accepts (1 byte or 64 KiB).
    fn page_size_log2(&mut self) -> Result<u8, DecodeError> {
        match self.u8()? {
            v @ (0 | crate::WASM_PAGE_SIZE_LOG2) => Ok(v),
            _ => Err(self.err()),
        }
    }
    fn table_type(&mut self) -> Result<TableType, DecodeError> {
        Ok(TableType {
            element: self.val_type()?,
            min: self.u64()?,
            max: self.opt(|r| r.u64())?,
            table64: self.bool()?,
        })
    }
    fn global_type(&mut self) -> Result<GlobalType, DecodeError> {
        Ok(GlobalType {
            ty: self.val_type()?,
            mutable: self.bool()?,
        })
    }
    fn extern_type(&mut self) -> Result<ExternType, DecodeError> {
        Ok(match self.u8()? {
            0 => ExternType::Func(self.u32()?),
            1 => ExternType::Table(self.table_type()?),
            2 => ExternType::Memory(self.memory_type()?),
            3 => ExternType::Global(self.global_type()?),
            4 => ExternType::Tag(self.u32()?),
            _ => return Err(self.err()),
        })
    }
    fn const_expr(&mut self) -> Result<ConstExpr, DecodeError> {
        self.vec(|r| {
            Ok(match r.u8()? {
                0 => ConstOp::I32(r.i64()? as i32),
                1 => ConstOp::I64(r.i64()?),
                2 => ConstOp::F32(r.u32()?),
                3 => ConstOp::F64(r.u64()?),
                4 => {
                    let b = r.take(16)?;
                    let mut a = [0u8; 16];
                    a.copy_from_slice(b);
                    ConstOp::V128(u128::from_le_bytes(a))
                }
                5 => ConstOp::RefNull,
                6 => ConstOp::RefFunc(r.u32()?),
                7 => ConstOp::GlobalGet(r.u32()?),
                8 => ConstOp::I32Add,
                9 => ConstOp::I32Sub,
                10 => ConstOp::I32Mul,
                11 => ConstOp::I64Add,
                12 => ConstOp::I64Sub,
                13 => ConstOp::I64Mul,
                14 => ConstOp::RefI31,
                15 => ConstOp::StructNew(r.u32()?),
                16 => ConstOp::StructNewDefault(r.u32()?),
                17 => ConstOp::ArrayNew(r.u32()?),
                18 => ConstOp::ArrayNewDefault(r.u32()?),
                19 => ConstOp::ArrayNewFixed(r.u32()?, r.u32()?),
                20 => ConstOp::AnyConvertExtern,
                21 => ConstOp::ExternConvertAny,
                _ => return Err(r.err()),
            })
        })
    }
    fn mode(&mut self) -> Result<SegmentMode, DecodeError> {
        Ok(match self.u8()? {
            0 => SegmentMode::Active {
                index: self.u32()?,
                offset: self.const_expr()?,
            },
            1 => SegmentMode::Passive,
            2 => SegmentMode::Declared,
            _ => return Err(self.err()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn reference_types_are_normalized_and_printed() {
        let r = |nullable, heap| ValType::reference(RefType { nullable, heap });
        assert_eq!(r(true, HeapType::Func), ValType::FuncRef);
        assert_eq!(r(true, HeapType::Extern), ValType::ExternRef);
        let nn = r(false, HeapType::Func);
        assert!(matches!(nn, ValType::Ref(_)));
        assert_eq!(ValType::FuncRef.as_ref_type().unwrap().heap, HeapType::Func);
        assert!(r(true, HeapType::NoExtern).is_extern_ref());
        assert!(!r(false, HeapType::Concrete(3)).is_extern_ref());
        assert!(!ValType::I32.is_ref());
        assert_eq!(
            r(false, HeapType::Concrete(3)).map_concrete(|i| i + 10),
            r(false, HeapType::Concrete(13))
        );
        assert_eq!(r(true, HeapType::Concrete(3)).to_string(), "(ref null 3)");
        assert_eq!(nn.to_string(), "(ref func)");
        assert_eq!(ValType::ExternRef.to_string(), "externref");
    }

    #[test]
    fn round_trip() {
        let data = [1u8, 2, 3];
        let meta = ModuleMeta {
            name: Some("m".into()),
            types: vec![FuncType {
                params: vec![
                    ValType::I32,
                    ValType::F64,
                    ValType::Ref(RefType {
                        nullable: false,
                        heap: HeapType::Concrete(0),
                    }),
                ],
                results: vec![
                    ValType::ExternRef,
                    ValType::Ref(RefType {
                        nullable: true,
                        heap: HeapType::NoFunc,
                    }),
                ],
            }],
            gc_types: vec![
                GcTypeDef {
                    index: 1,
                    ty: GcComposite::Struct(vec![
                        FieldType {
                            storage: StorageType::I8,
                            mutable: true,
                        },
                        FieldType {
                            storage: StorageType::Val(ValType::Ref(RefType {
                                nullable: true,
                                heap: HeapType::Eq,
                            })),
                            mutable: false,
                        },
                    ]),
                },
                GcTypeDef {
                    index: 2,
                    ty: GcComposite::Array(FieldType {
                        storage: StorageType::I16,
                        mutable: true,
                    }),
                },
            ],
            type_infos: vec![TypeInfo {
                rec_group: 0,
                rec_group_len: 1,
                is_final: false,
                supertype: None,
            }],
            imports: vec![
                Import {
                    module: "env".into(),
                    name: "f".into(),
                    ty: ExternType::Func(0),
                },
                Import {
                    module: "env".into(),
                    name: "mem".into(),
                    ty: ExternType::Memory(MemoryType {
                        min_pages: 1,
                        max_pages: Some(65536),
                        memory64: false,
                        shared: false,
                        page_size_log2: 0,
                    }),
                },
            ],
            funcs: vec![0, 0],
            tables: vec![TableDef {
                ty: TableType {
                    element: ValType::FuncRef,
                    min: 10,
                    max: None,
                    table64: false,
                },
                init: None,
            }],
            memories: vec![],
            globals: vec![GlobalDef {
                ty: GlobalType {
                    ty: ValType::I64,
                    mutable: true,
                },
                init: vec![ConstOp::I64(-5), ConstOp::I64(i64::MIN), ConstOp::I64Add],
            }],
            exports: vec![Export {
                name: "g".into(),
                kind: ExportKind::Global,
                index: 0,
            }],
            start: Some(1),
            elems: vec![ElemSegment {
                mode: SegmentMode::Active {
                    index: 0,
                    offset: vec![ConstOp::I32(-1)],
                },
                element: ValType::FuncRef,
                items: vec![vec![ConstOp::RefFunc(1)], vec![ConstOp::RefNull]],
            }],
            datas: vec![DataSegment {
                mode: SegmentMode::Passive,
                bytes: &data,
            }],
            func_names: vec![(1, "main".into())],
            code_sizes: vec![42],
            traps: vec![TrapSite {
                defined_func: 0,
                code_offset: 7,
                code: 34,
            }],
            tags: vec![0],
            uses_exceptions: true,
        };
        let blob = meta.encode();
        let back = ModuleMeta::decode(&blob).unwrap();
        assert_eq!(back, meta);
        assert_eq!(back.func_name(1), Some("main"));
        assert_eq!(back.vm_counts().num_defined_funcs, 1);
        for cut in 0..blob.len() {
            assert!(ModuleMeta::decode(&blob[..cut]).is_err());
        }
    }
}
