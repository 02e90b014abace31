//! First pipeline stage: bytes -> validated [`ModuleInfo`].
//!
//! Every input is fully validated by wasmparser before anything is
//! translated, so later stages may rely on the validator's guarantees.

use std::collections::HashMap;

use waot_abi::gc::{struct_layout, StructLayout};
use waot_abi::meta::{
    ConstExpr, ConstOp, DataSegment, ElemSegment, Export, ExportKind, ExternType, FieldType,
    FuncType, GcComposite, GcTypeDef, GlobalDef, GlobalType, HeapType, Import, MemoryType,
    ModuleMeta, RefType, SegmentMode, StorageType, TableDef, TableType, TypeInfo, ValType,
};
use waot_abi::vmctx::VmOffsets;
use waot_abi::WASM_PAGE_SIZE_LOG2;
use wasmparser::{
    ElementItems, ElementKind, ExternalKind, FuncValidatorAllocations, FunctionBody, KnownCustom,
    Name, Parser, Payload, TypeRef, Validator, WasmFeatures,
};

use crate::error::{CompileError, Result};

/// A validated module, ready to translate.
pub struct ModuleInfo<'a> {
    /// The metadata the runtime will receive (`code_sizes` and `traps` are
    /// filled in after code generation).
    pub meta: ModuleMeta<'a>,
    /// Body of each defined function, in defined-index order.
    pub bodies: Vec<FunctionBody<'a>>,
    /// VM context layout of this module.
    pub offsets: VmOffsets,
    /// Type of every table, imported first.
    pub tables: Vec<TableType>,
    /// Type of every memory, imported first.
    pub memories: Vec<MemoryType>,
    /// Type of every global, imported first.
    pub globals: Vec<GlobalType>,
    /// Number of imported functions (function index of defined function 0).
    pub num_imported_funcs: u32,
    /// Number of imported globals (global index of defined global 0).
    pub num_imported_globals: u32,
    /// Function type index of every tag, imported first.
    pub tags: Vec<u32>,
    /// Field offsets of every struct type, by type index (computed once,
    /// since every `struct.get`/`struct.set` needs them).
    pub struct_layouts: HashMap<u32, StructLayout>,
}

impl ModuleInfo<'_> {
    /// Signature of function `func_index` (imports first).
    pub fn func_type(&self, func_index: u32) -> &FuncType {
        &self.meta.types[self.meta.funcs[func_index as usize] as usize]
    }

    /// Number of functions defined in the module.
    pub fn num_defined_funcs(&self) -> u32 {
        self.bodies.len() as u32
    }

    /// Function index of defined function `defined_index`.
    pub fn func_index(&self, defined_index: u32) -> u32 {
        self.num_imported_funcs + defined_index
    }

    /// Name-section name of function `func_index`, if it has one.
    pub fn func_name(&self, func_index: u32) -> Option<&str> {
        self.meta.func_name(func_index)
    }
}

/// Parses and fully validates `wasm`.
///
/// An unsupported construct is found while the module is parsed, possibly
/// before a later section turns out invalid; the module is then validated
/// to the end, so an invalid module is always [`CompileError::Invalid`].
pub fn parse(wasm: &[u8], features: WasmFeatures) -> Result<ModuleInfo<'_>> {
    match parse_validated(wasm, features) {
        Err(unsupported @ CompileError::Unsupported { .. }) => {
            Validator::new_with_features(features).validate_all(wasm)?;
            Err(unsupported)
        }
        other => other,
    }
}

fn parse_validated(wasm: &[u8], features: WasmFeatures) -> Result<ModuleInfo<'_>> {
    let mut validator = Validator::new_with_features(features);
    let mut meta = ModuleMeta::default();
    let mut bodies = Vec::new();
    let mut tables = Vec::new();
    let mut memories = Vec::new();
    let mut globals = Vec::new();
    let mut allocs = FuncValidatorAllocations::default();

    // The parser must decode with the validator's features: e.g. without
    // memory64, memory limits are u32 LEBs and overlong encodings are malformed.
    let mut parser = Parser::new(0);
    parser.set_features(features);
    for payload in parser.parse_all(wasm) {
        let payload = payload?;
        match validator.payload(&payload)? {
            wasmparser::ValidPayload::Func(to_validate, body) => {
                let mut func_validator = to_validate.into_validator(allocs);
                func_validator.validate(&body)?;
                allocs = func_validator.into_allocations();
                if features.exceptions() && !meta.uses_exceptions {
                    meta.uses_exceptions = crate::translate::uses_exceptions(&body)?;
                }
                bodies.push(body);
                continue;
            }
            wasmparser::ValidPayload::End(_) => break,
            _ => {}
        }
        match payload {
            Payload::Version {
                encoding, range, ..
            } if encoding != wasmparser::Encoding::Module => {
                return Err(unsupported("components", range.start));
            }
            Payload::TypeSection(reader) => {
                let offset = reader.range().start;
                for group in reader {
                    read_rec_group(group?, &mut meta, offset)?;
                }
            }
            Payload::ImportSection(reader) => {
                let offset = reader.range().start;
                for import in reader.into_imports() {
                    let import = import?;
                    let ty = match import.ty {
                        TypeRef::Func(t) => {
                            meta.funcs.push(t);
                            ExternType::Func(t)
                        }
                        TypeRef::Table(t) => {
                            let t = table_type(&t, offset)?;
                            tables.push(t);
                            ExternType::Table(t)
                        }
                        TypeRef::Memory(m) => {
                            let m = memory_type(&m, offset)?;
                            memories.push(m);
                            ExternType::Memory(m)
                        }
                        TypeRef::Global(g) => {
                            let g = global_type(&g, offset)?;
                            globals.push(g);
                            ExternType::Global(g)
                        }
                        TypeRef::Tag(t) => {
                            meta.uses_exceptions = true;
                            ExternType::Tag(t.func_type_idx)
                        }
                        TypeRef::FuncExact(_) => {
                            return Err(unsupported("exact function imports", offset))
                        }
                    };
                    meta.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        ty,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    meta.funcs.push(t?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table?;
                    let offset = reader_offset(&table.init);
                    let ty = table_type(&table.ty, offset)?;
                    let init = match table.init {
                        wasmparser::TableInit::RefNull => None,
                        wasmparser::TableInit::Expr(e) => Some(const_expr(&e)?),
                    };
                    tables.push(ty);
                    meta.tables.push(TableDef { ty, init });
                }
            }
            Payload::MemorySection(reader) => {
                let offset = reader.range().start;
                for m in reader {
                    let m = memory_type(&m?, offset)?;
                    memories.push(m);
                    meta.memories.push(m);
                }
            }
            Payload::GlobalSection(reader) => {
                let offset = reader.range().start;
                for g in reader {
                    let g = g?;
                    let ty = global_type(&g.ty, offset)?;
                    globals.push(ty);
                    meta.globals.push(GlobalDef {
                        ty,
                        init: const_expr(&g.init_expr)?,
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e?;
                    let kind = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => ExportKind::Func,
                        ExternalKind::Table => ExportKind::Table,
                        ExternalKind::Memory => ExportKind::Memory,
                        ExternalKind::Global => ExportKind::Global,
                        ExternalKind::Tag => ExportKind::Tag,
                    };
                    meta.exports.push(Export {
                        name: e.name.to_string(),
                        kind,
                        index: e.index,
                    });
                }
            }
            Payload::StartSection { func, .. } => meta.start = Some(func),
            Payload::ElementSection(reader) => {
                let offset = reader.range().start;
                for elem in reader {
                    let elem = elem?;
                    let mode = match elem.kind {
                        ElementKind::Passive => SegmentMode::Passive,
                        ElementKind::Declared => SegmentMode::Declared,
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: table_index.unwrap_or(0),
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    let (element, items) = match elem.items {
                        ElementItems::Functions(funcs) => {
                            let mut items = Vec::new();
                            for f in funcs {
                                items.push(vec![ConstOp::RefFunc(f?)]);
                            }
                            (ValType::FuncRef, items)
                        }
                        ElementItems::Expressions(ty, exprs) => {
                            let mut items = Vec::new();
                            for e in exprs {
                                items.push(const_expr(&e?)?);
                            }
                            (ref_type(ty, offset)?, items)
                        }
                    };
                    meta.elems.push(ElemSegment {
                        mode,
                        element,
                        items,
                    });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Passive => SegmentMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: memory_index,
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    meta.datas.push(DataSegment {
                        mode,
                        bytes: data.data,
                    });
                }
            }
            Payload::CustomSection(reader) => {
                if let KnownCustom::Name(names) = reader.as_known() {
                    // A malformed name section is not an error (custom
                    // sections never are); keep what could be read.
                    read_names(names, &mut meta);
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    meta.tags.push(tag?.func_type_idx);
                    meta.uses_exceptions = true;
                }
            }
            _ => {}
        }
    }

    meta.func_names.sort_by_key(|(i, _)| *i);
    meta.func_names.dedup_by_key(|(i, _)| *i);
    let num_imported_funcs = meta.import_counts().0;
    let num_imported_globals = meta.import_counts().3;
    let offsets = VmOffsets::new(meta.vm_counts());
    let tags = (0..offsets.counts.num_tags)
        .filter_map(|i| meta.tag_type(i))
        .collect();
    let struct_layouts = meta
        .gc_types
        .iter()
        .filter_map(|d| match &d.ty {
            GcComposite::Struct(fields) => Some((d.index, struct_layout(fields))),
            GcComposite::Array(_) => None,
        })
        .collect();
    Ok(ModuleInfo {
        tags,
        struct_layouts,
        meta,
        bodies,
        offsets,
        tables,
        memories,
        globals,
        num_imported_funcs,
        num_imported_globals,
    })
}

/// Appends the types of one recursion group, with their group and
/// subtyping facts (what the runtime's canonical type ids are made of): a
/// function type to `types`; a struct or array type to `gc_types`, with an
/// empty placeholder signature in `types` so type indices stay aligned.
fn read_rec_group(
    group: wasmparser::RecGroup,
    meta: &mut ModuleMeta<'_>,
    offset: u64,
) -> Result<()> {
    let start = meta.types.len() as u32;
    let len = group.types().len() as u32;
    for sub in group.into_types() {
        let index = meta.types.len() as u32;
        let composite = &sub.composite_type;
        if composite.shared {
            return Err(unsupported("shared types", offset));
        }
        if composite.descriptor_idx.is_some() || composite.describes_idx.is_some() {
            return Err(unsupported("custom descriptors", offset));
        }
        let gc = match &composite.inner {
            wasmparser::CompositeInnerType::Func(f) => {
                meta.types.push(FuncType {
                    params: val_types(f.params(), offset)?,
                    results: val_types(f.results(), offset)?,
                });
                None
            }
            wasmparser::CompositeInnerType::Struct(s) => Some(GcComposite::Struct(
                s.fields
                    .iter()
                    .map(|f| field_type(f, offset))
                    .collect::<Result<_>>()?,
            )),
            wasmparser::CompositeInnerType::Array(a) => {
                Some(GcComposite::Array(field_type(&a.0, offset)?))
            }
            wasmparser::CompositeInnerType::Cont(_) => {
                return Err(unsupported("continuation types", offset))
            }
        };
        if let Some(ty) = gc {
            meta.types.push(FuncType::default());
            meta.gc_types.push(GcTypeDef { index, ty });
        }
        let supertype =
            match sub.supertype_idxs.first() {
                None => None,
                Some(i) => Some(i.as_module_index().ok_or_else(|| {
                    CompileError::Internal("supertype is not a module index".into())
                })?),
            };
        meta.type_infos.push(TypeInfo {
            rec_group: start,
            rec_group_len: len,
            is_final: sub.is_final,
            supertype,
        });
    }
    Ok(())
}

/// Converts a struct field or array element type.
fn field_type(f: &wasmparser::FieldType, offset: u64) -> Result<FieldType> {
    Ok(FieldType {
        storage: match f.element_type {
            wasmparser::StorageType::I8 => StorageType::I8,
            wasmparser::StorageType::I16 => StorageType::I16,
            wasmparser::StorageType::Val(v) => StorageType::Val(val_type(v, offset)?),
        },
        mutable: f.mutable,
    })
}

fn read_names(names: wasmparser::NameSectionReader<'_>, meta: &mut ModuleMeta<'_>) {
    for name in names {
        match name {
            Ok(Name::Module { name, .. }) => meta.name = Some(name.to_string()),
            Ok(Name::Function(map)) => {
                for naming in map.into_iter().flatten() {
                    meta.func_names
                        .push((naming.index, naming.name.to_string()));
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

fn unsupported(feature: &str, offset: u64) -> CompileError {
    CompileError::Unsupported {
        feature: feature.to_string(),
        offset,
    }
}

fn reader_offset(init: &wasmparser::TableInit<'_>) -> u64 {
    match init {
        wasmparser::TableInit::RefNull => 0,
        wasmparser::TableInit::Expr(e) => e.get_binary_reader().original_position(),
    }
}

/// Converts a wasmparser value type to the ABI's.
pub fn val_type(ty: wasmparser::ValType, offset: u64) -> Result<ValType> {
    Ok(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ref_type(r, offset)?,
    })
}

fn val_types(tys: &[wasmparser::ValType], offset: u64) -> Result<Vec<ValType>> {
    tys.iter().map(|t| val_type(*t, offset)).collect()
}

/// Converts a reference type (see [`heap_type`]).
fn ref_type(ty: wasmparser::RefType, offset: u64) -> Result<ValType> {
    Ok(ValType::reference(RefType {
        nullable: ty.is_nullable(),
        heap: heap_type(ty.heap_type(), offset)?,
    }))
}

/// Converts a heap type: the abstract heap types of the function, extern,
/// exception and GC (`any`) hierarchies and concrete types; shared, exact
/// and continuation heap types are unsupported.
pub(crate) fn heap_type(ty: wasmparser::HeapType, offset: u64) -> Result<HeapType> {
    use wasmparser::{AbstractHeapType as A, HeapType as H};
    Ok(match ty {
        H::Abstract {
            shared: false,
            ty: abstract_ty,
        } => match abstract_ty {
            A::Func => HeapType::Func,
            A::Extern => HeapType::Extern,
            A::NoFunc => HeapType::NoFunc,
            A::NoExtern => HeapType::NoExtern,
            A::Exn => HeapType::Exn,
            A::NoExn => HeapType::NoExn,
            A::Any => HeapType::Any,
            A::Eq => HeapType::Eq,
            A::I31 => HeapType::I31,
            A::Struct => HeapType::Struct,
            A::Array => HeapType::Array,
            A::None => HeapType::None,
            A::Cont | A::NoCont => return Err(unsupported(&format!("heap type {ty:?}"), offset)),
        },
        H::Concrete(i) => match i.as_module_index() {
            Some(i) => HeapType::Concrete(i),
            None => return Err(CompileError::Internal(format!("type index {i}"))),
        },
        _ => return Err(unsupported(&format!("heap type {ty:?}"), offset)),
    })
}

fn table_type(t: &wasmparser::TableType, offset: u64) -> Result<TableType> {
    if t.shared {
        return Err(unsupported("shared tables", offset));
    }
    Ok(TableType {
        element: ref_type(t.element_type, offset)?,
        min: t.initial,
        max: t.maximum,
        table64: t.table64,
    })
}

fn memory_type(m: &wasmparser::MemoryType, offset: u64) -> Result<MemoryType> {
    // Validation allows only 1-byte and 64 KiB pages (custom-page-sizes);
    // the runtime's memories are built for exactly these two.
    let page_size_log2 = match m.page_size_log2 {
        None => WASM_PAGE_SIZE_LOG2,
        Some(0) => 0,
        Some(log2) if log2 == u32::from(WASM_PAGE_SIZE_LOG2) => WASM_PAGE_SIZE_LOG2,
        Some(log2) => {
            return Err(unsupported(
                &format!("memory page size 2^{log2} (waot supports 1 and 65536)"),
                offset,
            ))
        }
    };
    Ok(MemoryType {
        min_pages: m.initial,
        max_pages: m.maximum,
        memory64: m.memory64,
        shared: m.shared,
        page_size_log2,
    })
}

fn global_type(g: &wasmparser::GlobalType, offset: u64) -> Result<GlobalType> {
    if g.shared {
        return Err(unsupported("shared globals", offset));
    }
    Ok(GlobalType {
        ty: val_type(g.content_type, offset)?,
        mutable: g.mutable,
    })
}

/// Converts a validated constant expression.
pub fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    use wasmparser::Operator as Op;
    let mut ops = Vec::new();
    let mut reader = expr.get_operators_reader();
    while !reader.eof() {
        let offset = reader.original_position();
        let op = match reader.read()? {
            Op::I32Const { value } => ConstOp::I32(value),
            Op::I64Const { value } => ConstOp::I64(value),
            Op::F32Const { value } => ConstOp::F32(value.bits()),
            Op::F64Const { value } => ConstOp::F64(value.bits()),
            Op::V128Const { value } => ConstOp::V128(u128::from_le_bytes(*value.bytes())),
            Op::RefNull { .. } => ConstOp::RefNull,
            Op::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            Op::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            Op::I32Add => ConstOp::I32Add,
            Op::I32Sub => ConstOp::I32Sub,
            Op::I32Mul => ConstOp::I32Mul,
            Op::I64Add => ConstOp::I64Add,
            Op::I64Sub => ConstOp::I64Sub,
            Op::I64Mul => ConstOp::I64Mul,
            Op::RefI31 => ConstOp::RefI31,
            Op::StructNew { struct_type_index } => ConstOp::StructNew(struct_type_index),
            Op::StructNewDefault { struct_type_index } => {
                ConstOp::StructNewDefault(struct_type_index)
            }
            Op::ArrayNew { array_type_index } => ConstOp::ArrayNew(array_type_index),
            Op::ArrayNewDefault { array_type_index } => ConstOp::ArrayNewDefault(array_type_index),
            Op::ArrayNewFixed {
                array_type_index,
                array_size,
            } => ConstOp::ArrayNewFixed(array_type_index, array_size),
            Op::AnyConvertExtern => ConstOp::AnyConvertExtern,
            Op::ExternConvertAny => ConstOp::ExternConvertAny,
            Op::End => continue,
            other => {
                return Err(unsupported(
                    &format!("constant expression operator {other:?}"),
                    offset,
                ))
            }
        };
        ops.push(op);
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_module() {
        let wasm = wat::parse_str(
            r#"(module
                (import "env" "f" (func $f (param i32) (result i32)))
                (memory (export "mem") 1 2)
                (global $g (mut i32) (i32.const 7))
                (table 2 funcref)
                (elem (i32.const 0) $f $h)
                (data (i32.const 8) "hi")
                (func $h (export "h") (result i32) global.get $g))"#,
        )
        .unwrap();
        let info = parse(&wasm, WasmFeatures::WASM2).unwrap();
        assert_eq!(info.num_imported_funcs, 1);
        assert_eq!(info.num_defined_funcs(), 1);
        assert_eq!(info.meta.exports.len(), 2);
        assert_eq!(info.meta.datas[0].bytes, b"hi");
        assert_eq!(info.func_name(1), Some("h"));
        assert_eq!(info.meta.elems[0].items.len(), 2);
    }

    #[test]
    fn invalid_input_reports_offset() {
        let err = parse(b"\0asm\x01\0\0\0\x01", WasmFeatures::WASM2)
            .err()
            .unwrap();
        assert!(matches!(err, CompileError::Invalid { .. }), "{err}");
    }

    #[test]
    fn gc_types_keep_their_indices_and_subtyping() {
        let wasm = wat::parse_str(
            r#"(module
                (rec
                  (type $f (func (param (ref null $s))))
                  (type $s (sub (struct (field (mut i8)) (field (ref null $a)))))
                  (type $a (array (mut i16))))
                (type $t (sub final $s (struct (field (mut i8)) (field (ref null $a)) (field eqref)))))"#,
        )
        .unwrap();
        let info = parse(&wasm, crate::config::DEFAULT_FEATURES).unwrap();
        let meta = &info.meta;
        assert_eq!(meta.types.len(), 4);
        assert_eq!(meta.types[1], FuncType::default());
        let concrete = |nullable, i| {
            ValType::reference(RefType {
                nullable,
                heap: HeapType::Concrete(i),
            })
        };
        assert_eq!(meta.types[0].params, [concrete(true, 1)]);
        assert_eq!(
            meta.gc_types.iter().map(|d| d.index).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let field = |storage, mutable| FieldType { storage, mutable };
        assert_eq!(
            meta.gc_type(1),
            Some(&GcComposite::Struct(vec![
                field(StorageType::I8, true),
                field(StorageType::Val(concrete(true, 2)), false),
            ]))
        );
        assert_eq!(
            meta.gc_type(2),
            Some(&GcComposite::Array(field(StorageType::I16, true)))
        );
        assert_eq!(meta.gc_type(0), None);
        let eqref = ValType::reference(RefType {
            nullable: true,
            heap: HeapType::Eq,
        });
        assert!(
            matches!(meta.gc_type(3), Some(GcComposite::Struct(f)) if f[2].storage == StorageType::Val(eqref))
        );
        let (s, t) = (meta.type_info(1), meta.type_info(3));
        assert_eq!((s.rec_group, s.rec_group_len, s.is_final), (0, 3, false));
        assert_eq!((t.rec_group, t.supertype, t.is_final), (3, Some(1), true));
        assert_eq!(info.struct_layouts[&3].offsets, [8, 16, 24]);
    }

    #[test]
    fn gc_constant_expressions() {
        let wasm = wat::parse_str(
            r#"(module
                (type $s (struct (field i32) (field i64)))
                (type $a (array i8))
                (global anyref (ref.i31 (i32.const 5)))
                (global (ref $s) (struct.new $s (i32.const 1) (i64.const 2)))
                (global (ref $s) (struct.new_default $s))
                (global (ref $a) (array.new $a (i32.const 7) (i32.const 3)))
                (global (ref $a) (array.new_default $a (i32.const 3)))
                (global (ref $a) (array.new_fixed $a 2 (i32.const 1) (i32.const 2)))
                (global externref (extern.convert_any (ref.null any)))
                (global anyref (any.convert_extern (ref.null extern))))"#,
        )
        .unwrap();
        let info = parse(&wasm, crate::config::DEFAULT_FEATURES).unwrap();
        let inits: Vec<_> = info.meta.globals.iter().map(|g| g.init.clone()).collect();
        use ConstOp as C;
        assert_eq!(
            inits,
            [
                vec![C::I32(5), C::RefI31],
                vec![C::I32(1), C::I64(2), C::StructNew(0)],
                vec![C::StructNewDefault(0)],
                vec![C::I32(7), C::I32(3), C::ArrayNew(1)],
                vec![C::I32(3), C::ArrayNewDefault(1)],
                vec![C::I32(1), C::I32(2), C::ArrayNewFixed(1, 2)],
                vec![C::RefNull, C::ExternConvertAny],
                vec![C::RefNull, C::AnyConvertExtern],
            ]
        );
        assert_eq!(
            info.meta.globals[0].ty.ty,
            ValType::reference(RefType {
                nullable: true,
                heap: HeapType::Any
            })
        );
    }

    #[test]
    fn gc_is_refused_without_the_feature() {
        let wasm = wat::parse_str("(module (type (struct)))").unwrap();
        let err = parse(
            &wasm,
            crate::config::DEFAULT_FEATURES.difference(WasmFeatures::GC),
        )
        .err()
        .unwrap();
        assert!(matches!(err, CompileError::Invalid { .. }), "{err}");
    }
}
