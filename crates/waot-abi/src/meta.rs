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
}

/// A function signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
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
    /// Type section (function types).
    pub types: Vec<FuncType>,
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
        }
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
        self.u8(t as u8);
    }
    fn func_type(&mut self, t: &FuncType) {
        self.vec(&t.params, |w, p| w.val_type(*p));
        self.vec(&t.results, |w, p| w.val_type(*p));
    }
    fn memory_type(&mut self, m: &MemoryType) {
        self.u64(m.min_pages);
        self.opt(&m.max_pages, |w, v| w.u64(*v));
        self.u8(m.memory64 as u8);
        self.u8(m.shared as u8);
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
        })
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
    use alloc::vec;

    #[test]
    fn round_trip() {
        let data = [1u8, 2, 3];
        let meta = ModuleMeta {
            name: Some("m".into()),
            types: vec![FuncType {
                params: vec![ValType::I32, ValType::F64],
                results: vec![ValType::ExternRef],
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
