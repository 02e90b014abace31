//! Constant expressions (spec §3.3.10 "constant expressions"): global
//! initializers, table initializers, segment offsets and element items.
//!
//! The compiler has validated them, so evaluation only fails on a corrupt
//! module (an out-of-range index or an unbalanced stack), which is reported
//! as an error rather than a panic.

use waot_abi::meta::{ConstOp, ValType};

use crate::{Func, Val};

/// What a constant expression may read.
pub trait ConstEnv {
    /// The current value of global `index` (imports first).
    fn global(&self, index: u32) -> Option<Val>;
    /// The function reference of function `index` (imports first).
    fn func(&self, index: u32) -> Option<Func>;
}

/// Evaluates `expr`, whose result has type `ty` (needed for `ref.null`).
pub fn eval(expr: &[ConstOp], ty: ValType, env: &dyn ConstEnv) -> Result<Val, String> {
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
            // Interim until the GC runtime lands.
            ConstOp::RefI31
            | ConstOp::StructNew(_)
            | ConstOp::StructNewDefault(_)
            | ConstOp::ArrayNew(_)
            | ConstOp::ArrayNewDefault(_)
            | ConstOp::ArrayNewFixed(..)
            | ConstOp::AnyConvertExtern
            | ConstOp::ExternConvertAny => {
                return Err("GC constant expressions are not supported".into())
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

fn pop2(stack: &mut Vec<Val>) -> Result<(Val, Val), String> {
    let b = stack.pop();
    let a = stack.pop();
    match (a, b) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err("constant expression: stack underflow".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Env;
    impl ConstEnv for Env {
        fn global(&self, index: u32) -> Option<Val> {
            (index == 0).then_some(Val::I32(40))
        }
        fn func(&self, _: u32) -> Option<Func> {
            None
        }
    }

    #[test]
    fn arithmetic_and_globals() {
        use ConstOp::*;
        let e = [GlobalGet(0), I32(2), I32Add, I32(3), I32Mul];
        assert_eq!(eval(&e, ValType::I32, &Env), Ok(Val::I32(126)));
        let e = [I64(i64::MIN), I64(1), I64Sub];
        assert_eq!(eval(&e, ValType::I64, &Env), Ok(Val::I64(i64::MAX)));
        assert_eq!(
            eval(&[RefNull], ValType::ExternRef, &Env),
            Ok(Val::ExternRef(None))
        );
        assert_eq!(
            eval(&[RefNull], ValType::FuncRef, &Env),
            Ok(Val::FuncRef(None))
        );
        assert!(eval(&[GlobalGet(1)], ValType::I32, &Env).is_err());
        assert!(eval(&[RefFunc(0)], ValType::FuncRef, &Env).is_err());
        assert!(eval(&[I32Add], ValType::I32, &Env).is_err());
        assert!(eval(&[I32(1), I32(2)], ValType::I32, &Env).is_err());
        assert!(eval(&[I32(1)], ValType::I64, &Env).is_err());
    }
}
