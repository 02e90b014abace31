//! Constant expressions (spec §3.3.10 "constant expressions"): global
//! initializers, table initializers, segment offsets and element items.
//!
//! The compiler has validated them, so evaluation only fails on a corrupt
//! module (an out-of-range index or an unbalanced stack), which is reported
//! as an error rather than a panic.

use waot_abi::meta::{ConstOp, ValType};

use crate::val::AnyRef;
use crate::{Func, Val};

/// How a constant expression initializes a new struct or array.
#[derive(Clone, Copy, Debug)]
pub enum ObjectInit<'a> {
    /// Zero (or null) fields, or `len` zero elements (`struct.new_default`,
    /// `array.new_default`).
    Default(u32),
    /// The field values in order, or the elements (`struct.new`,
    /// `array.new_fixed`).
    Values(&'a [Val]),
    /// `len` copies of a value (`array.new`).
    Repeat(Val, u32),
}

/// What a constant expression may read, and where it allocates.
pub trait ConstEnv {
    /// The current value of global `index` (imports first).
    fn global(&self, index: u32) -> Option<Val>;
    /// The function reference of function `index` (imports first).
    fn func(&self, index: u32) -> Option<Func>;
    /// The number of fields of struct type `type_index`.
    fn field_count(&self, type_index: u32) -> Option<usize>;
    /// A new struct or array of type `type_index`, as a reference value.
    fn new_object(&mut self, type_index: u32, init: ObjectInit<'_>) -> Result<Val, String>;
    /// `any.convert_extern` (`to_any`) or `extern.convert_any` of `v`.
    fn convert(&mut self, v: Val, to_any: bool) -> Result<Val, String>;
}

/// Evaluates `expr`, whose result has type `ty` (canonical ids; needed for
/// `ref.null`).
pub fn eval(expr: &[ConstOp], ty: ValType, env: &mut dyn ConstEnv) -> Result<Val, String> {
    let mut stack: Vec<Val> = Vec::with_capacity(2);
    for op in expr {
        let v = match *op {
            ConstOp::I32(v) => Val::I32(v),
            ConstOp::I64(v) => Val::I64(v),
            ConstOp::F32(v) => Val::F32(v),
            ConstOp::F64(v) => Val::F64(v),
            ConstOp::V128(v) => Val::V128(v),
            ConstOp::RefNull => Val::default_for(ty),
            ConstOp::RefFunc(i) => {
                Val::FuncRef(Some(env.func(i).ok_or_else(|| {
                    format!("constant expression: unknown function {i}")
                })?))
            }
            ConstOp::RefI31 => Val::AnyRef(Some(AnyRef::i31(pop_i32(&mut stack)? as u32))),
            ConstOp::StructNew(t) => {
                let n = env
                    .field_count(t)
                    .ok_or_else(|| format!("constant expression: {t} is not a struct type"))?;
                let at = stack.len().checked_sub(n).ok_or(UNDERFLOW)?;
                let vals = stack.split_off(at);
                env.new_object(t, ObjectInit::Values(&vals))?
            }
            ConstOp::StructNewDefault(t) => env.new_object(t, ObjectInit::Default(0))?,
            ConstOp::ArrayNew(t) => {
                let len = pop_i32(&mut stack)? as u32;
                let v = stack.pop().ok_or(UNDERFLOW)?;
                env.new_object(t, ObjectInit::Repeat(v, len))?
            }
            ConstOp::ArrayNewDefault(t) => {
                let len = pop_i32(&mut stack)? as u32;
                env.new_object(t, ObjectInit::Default(len))?
            }
            ConstOp::ArrayNewFixed(t, n) => {
                let at = stack.len().checked_sub(n as usize).ok_or(UNDERFLOW)?;
                let vals = stack.split_off(at);
                env.new_object(t, ObjectInit::Values(&vals))?
            }
            ConstOp::AnyConvertExtern | ConstOp::ExternConvertAny => {
                let v = stack.pop().ok_or(UNDERFLOW)?;
                env.convert(v, *op == ConstOp::AnyConvertExtern)?
            }
            ConstOp::GlobalGet(i) => env
                .global(i)
                .ok_or_else(|| format!("constant expression: unknown global {i}"))?,
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                let (a, b) = pop2(&mut stack)?;
                let (Val::I32(a), Val::I32(b)) = (a, b) else {
                    return Err("constant expression: type mismatch".into());
                };
                Val::I32(match op {
                    ConstOp::I32Add => a.wrapping_add(b),
                    ConstOp::I32Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                })
            }
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                let (a, b) = pop2(&mut stack)?;
                let (Val::I64(a), Val::I64(b)) = (a, b) else {
                    return Err("constant expression: type mismatch".into());
                };
                Val::I64(match op {
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                })
            }
        };
        stack.push(v);
    }
    match (stack.pop(), stack.is_empty()) {
        (Some(v), true) if v.has_repr_of(ty) => Ok(v),
        _ => Err("constant expression: type mismatch".into()),
    }
}

const UNDERFLOW: &str = "constant expression: stack underflow";

fn pop2(stack: &mut Vec<Val>) -> Result<(Val, Val), String> {
    let b = stack.pop();
    let a = stack.pop();
    match (a, b) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(UNDERFLOW.into()),
    }
}

fn pop_i32(stack: &mut Vec<Val>) -> Result<i32, String> {
    match stack.pop() {
        Some(Val::I32(v)) => Ok(v),
        Some(_) => Err("constant expression: type mismatch".into()),
        None => Err(UNDERFLOW.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use waot_abi::gc::{struct_layout, ARRAY_DATA};
    use waot_abi::meta::{
        Export, ExportKind, FieldType, FuncType, GcComposite, GcTypeDef, GlobalDef, GlobalType,
        HeapType, ModuleMeta, RefType, StorageType,
    };

    use crate::testutil::mock_module;
    use crate::{AnyKind, Extern, Store};

    struct Env;
    impl ConstEnv for Env {
        fn global(&self, index: u32) -> Option<Val> {
            (index == 0).then_some(Val::I32(40))
        }
        fn func(&self, _: u32) -> Option<Func> {
            None
        }
        fn field_count(&self, _: u32) -> Option<usize> {
            None
        }
        fn new_object(&mut self, _: u32, _: ObjectInit<'_>) -> Result<Val, String> {
            Err("no GC types".into())
        }
        fn convert(&mut self, _: Val, _: bool) -> Result<Val, String> {
            Err("no GC heap".into())
        }
    }

    #[test]
    fn arithmetic_and_globals() {
        use ConstOp::*;
        let e = [GlobalGet(0), I32(2), I32Add, I32(3), I32Mul];
        assert_eq!(eval(&e, ValType::I32, &mut Env), Ok(Val::I32(126)));
        let e = [I64(i64::MIN), I64(1), I64Sub];
        assert_eq!(eval(&e, ValType::I64, &mut Env), Ok(Val::I64(i64::MAX)));
        assert_eq!(
            eval(&[RefNull], ValType::ExternRef, &mut Env),
            Ok(Val::ExternRef(None))
        );
        assert_eq!(
            eval(&[RefNull], ValType::FuncRef, &mut Env),
            Ok(Val::FuncRef(None))
        );
        assert!(eval(&[GlobalGet(1)], ValType::I32, &mut Env).is_err());
        assert!(eval(&[RefFunc(0)], ValType::FuncRef, &mut Env).is_err());
        assert!(eval(&[I32Add], ValType::I32, &mut Env).is_err());
        assert!(eval(&[I32(1), I32(2)], ValType::I32, &mut Env).is_err());
        assert!(eval(&[I32(1)], ValType::I64, &mut Env).is_err());
    }

    fn field(storage: StorageType) -> FieldType {
        FieldType {
            storage,
            mutable: true,
        }
    }

    fn nullable(heap: HeapType) -> ValType {
        ValType::Ref(RefType {
            nullable: true,
            heap,
        })
    }

    /// Reads `N` bytes at `offset` of the object `v` refers to.
    fn read<const N: usize>(v: &Val, offset: u32) -> [u8; N] {
        let Val::AnyRef(Some(r)) = v else {
            panic!("not an object: {v:?}")
        };
        // SAFETY: a live object of the test's store, larger than `offset + N`.
        unsafe { ((r.bits() + u64::from(offset)) as *const [u8; N]).read() }
    }

    /// Globals initialized with every GC constant instruction, in a store.
    #[test]
    fn gc_objects_in_global_initializers() {
        use ConstOp::*;
        // 0: (struct (field (mut i8)) (field (mut i64)))
        // 1: (array (mut i16))
        // 2: (array (mut (ref null 0)))
        let s_fields = vec![
            field(StorageType::I8),
            field(StorageType::Val(ValType::I64)),
        ];
        let gc_types = vec![
            GcTypeDef {
                index: 0,
                ty: GcComposite::Struct(s_fields.clone()),
            },
            GcTypeDef {
                index: 1,
                ty: GcComposite::Array(field(StorageType::I16)),
            },
            GcTypeDef {
                index: 2,
                ty: GcComposite::Array(field(StorageType::Val(nullable(HeapType::Concrete(0))))),
            },
        ];
        let inits: Vec<(ValType, Vec<ConstOp>)> = vec![
            (
                nullable(HeapType::Any),
                vec![I32(0x1ff), I64(-2), StructNew(0)],
            ),
            (nullable(HeapType::Any), vec![StructNewDefault(0)]),
            (
                nullable(HeapType::Any),
                vec![I32(0x12345), I32(3), ArrayNew(1)],
            ),
            (nullable(HeapType::Any), vec![I32(5), ArrayNewDefault(1)]),
            (
                nullable(HeapType::Concrete(2)),
                vec![
                    I32(1),
                    I64(2),
                    StructNew(0),
                    I32(3),
                    I64(4),
                    StructNew(0),
                    ArrayNewFixed(2, 2),
                ],
            ),
            (nullable(HeapType::I31), vec![I32(-1), RefI31]),
            (
                nullable(HeapType::Any),
                vec![I32(7), RefI31, ExternConvertAny, AnyConvertExtern],
            ),
            (
                ValType::ExternRef,
                vec![StructNewDefault(0), ExternConvertAny],
            ),
        ];
        let meta = ModuleMeta {
            types: vec![FuncType::default(); 3],
            gc_types,
            globals: inits
                .iter()
                .map(|(ty, init)| GlobalDef {
                    ty: GlobalType {
                        ty: *ty,
                        mutable: false,
                    },
                    init: init.clone(),
                })
                .collect(),
            exports: (0..inits.len() as u32)
                .map(|i| Export {
                    name: i.to_string(),
                    kind: ExportKind::Global,
                    index: i,
                })
                .collect(),
            ..Default::default()
        };
        let module = mock_module(&meta, vec![]);
        let mut store = Store::new();
        let inst = store.instantiate(&module, &[]).unwrap();
        let g: Vec<Val> = (0..inits.len())
            .map(|i| match store.get_export(inst, &i.to_string()) {
                Some(Extern::Global(g)) => store.global_get(g),
                other => panic!("global {i}: {other:?}"),
            })
            .collect();
        let ids: Vec<u32> = (0..3).map(|t| module.type_id(t)).collect();
        let layout = struct_layout(&s_fields);
        let kind = |v: &Val| match v {
            Val::AnyRef(Some(r)) => r.kind(),
            v => panic!("not an anyref: {v:?}"),
        };

        // struct.new: the i8 field keeps the low byte.
        assert_eq!(kind(&g[0]), AnyKind::Struct { type_id: ids[0] });
        assert_eq!(read::<1>(&g[0], layout.offsets[0]), [0xff]);
        assert_eq!(i64::from_le_bytes(read(&g[0], layout.offsets[1])), -2);
        assert_eq!(i64::from_le_bytes(read(&g[1], layout.offsets[1])), 0);
        // array.new: i16 elements keep the low half.
        assert_eq!(
            kind(&g[2]),
            AnyKind::Array {
                type_id: ids[1],
                len: 3
            }
        );
        assert_eq!(
            read::<6>(&g[2], ARRAY_DATA),
            [0x45, 0x23, 0x45, 0x23, 0x45, 0x23]
        );
        assert_eq!(
            kind(&g[3]),
            AnyKind::Array {
                type_id: ids[1],
                len: 5
            }
        );
        assert_eq!(read::<10>(&g[3], ARRAY_DATA), [0; 10]);
        // array.new_fixed of two new structs, in order.
        assert_eq!(
            kind(&g[4]),
            AnyKind::Array {
                type_id: ids[2],
                len: 2
            }
        );
        for (i, want) in [(0, 2i64), (1, 4)] {
            let word = u64::from_le_bytes(read(&g[4], ARRAY_DATA + 8 * i));
            let elem = Val::from_ref_bits(nullable(HeapType::Concrete(ids[0])), word);
            assert_eq!(kind(&elem), AnyKind::Struct { type_id: ids[0] });
            assert_eq!(i64::from_le_bytes(read(&elem, layout.offsets[1])), want);
        }
        assert!(g[4].matches(nullable(HeapType::Concrete(ids[2]))));
        assert!(!g[4].matches(nullable(HeapType::Concrete(ids[1]))));
        // i31, and an i31 through extern and back.
        assert_eq!(kind(&g[5]), AnyKind::I31(0x7fff_ffff));
        assert_eq!(kind(&g[6]), AnyKind::I31(7));
        // A struct made external is still the object.
        let Val::ExternRef(Some(e)) = g[7] else {
            panic!("not an externref: {:?}", g[7])
        };
        let back = store.extern_to_any(Some(e)).unwrap().unwrap();
        assert_eq!(back.kind(), AnyKind::Struct { type_id: ids[0] });
        assert_eq!(back.bits(), e + 1);
    }
}
