//! Translator tests: every operator family is translated, verified and
//! compiled for x86_64 (with and without SSE4.1-class extensions) and
//! aarch64, so both IR mistakes and lowering gaps show up.

use cranelift_codegen::isa::{self, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_control::ControlPlane;
use wasmparser::WasmFeatures;

use super::FuncTranslator;
use crate::error::CompileError;
use crate::module::{self, ModuleInfo};

fn isa(triple: &str, extensions: &[&str]) -> OwnedTargetIsa {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").unwrap();
    flags.enable("enable_verifier").unwrap();
    flags.enable("enable_multi_ret_implicit_sret").unwrap();
    flags.enable("preserve_frame_pointers").unwrap();
    flags.enable("is_pic").unwrap();
    let mut builder = isa::lookup_by_name(triple).unwrap();
    for ext in extensions {
        builder.enable(ext).unwrap();
    }
    builder.finish(settings::Flags::new(flags)).unwrap()
}

fn isas() -> Vec<OwnedTargetIsa> {
    vec![
        isa(
            "x86_64-unknown-linux-gnu",
            &[
                "has_sse3",
                "has_ssse3",
                "has_sse41",
                "has_sse42",
                "has_popcnt",
                "has_lzcnt",
                "has_bmi1",
            ],
        ),
        isa("x86_64-unknown-linux-gnu", &[]),
        isa("aarch64-unknown-linux-gnu", &[]),
    ]
}

/// Translates, verifies and compiles every function of `info`; returns the
/// CLIF text of each (for the first ISA).
fn compile_all(info: &ModuleInfo<'_>) -> Result<Vec<String>, String> {
    compile_on(info, &isas())
}

/// [`compile_all`] on the given ISAs.
fn compile_on(info: &ModuleInfo<'_>, isas: &[OwnedTargetIsa]) -> Result<Vec<String>, String> {
    let mut translator = FuncTranslator::new();
    let mut clif = Vec::new();
    for (n, isa) in isas.iter().enumerate() {
        for i in 0..info.num_defined_funcs() {
            let func = translator
                .translate(info, i, &**isa)
                .map_err(|e| format!("function {i}: {e}"))?;
            if n == 0 {
                clif.push(func.display().to_string());
            }
            cranelift_codegen::verify_function(&func, &**isa)
                .map_err(|e| format!("function {i}: verifier: {e}\n{}", func.display()))?;
            let text = func.display().to_string();
            let mut ctx = Context::for_function(func);
            if let Err(e) = ctx.compile(&**isa, &mut ControlPlane::default()) {
                return Err(format!(
                    "function {i} on {}: {:?}\n{text}",
                    isa.triple(),
                    e.inner
                ));
            }
        }
    }
    Ok(clif)
}

fn check(wat: &str) -> Vec<String> {
    check_with(wat, WasmFeatures::WASM2)
}

fn check_with(wat: &str, features: WasmFeatures) -> Vec<String> {
    let wasm = wat::parse_str(wat).unwrap();
    let info = module::parse(&wasm, features).unwrap();
    compile_all(&info).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn integer_operators() {
    check(
        r#"(module
        (func (param i32 i32) (result i32)
          local.get 0 local.get 1 i32.add local.get 1 i32.sub local.get 0 i32.mul
          local.get 1 i32.div_s local.get 1 i32.div_u local.get 1 i32.rem_s local.get 1 i32.rem_u
          local.get 1 i32.and local.get 1 i32.or local.get 1 i32.xor local.get 1 i32.shl
          local.get 1 i32.shr_s local.get 1 i32.shr_u local.get 1 i32.rotl local.get 1 i32.rotr
          i32.clz i32.ctz i32.popcnt i32.eqz i32.const -1 i32.eq
          i32.const 0x80000000 i32.ne local.get 0 i32.lt_s local.get 0 i32.lt_u local.get 0 i32.gt_s
          local.get 0 i32.gt_u local.get 0 i32.le_s local.get 0 i32.le_u local.get 0 i32.ge_s
          local.get 0 i32.ge_u i32.extend8_s i32.extend16_s)
        (func (param i64 i64) (result i64)
          local.get 0 local.get 1 i64.add local.get 1 i64.sub local.get 0 i64.mul
          local.get 1 i64.div_s local.get 1 i64.div_u local.get 1 i64.rem_s local.get 1 i64.rem_u
          local.get 1 i64.and local.get 1 i64.or local.get 1 i64.xor local.get 1 i64.shl
          local.get 1 i64.shr_s local.get 1 i64.shr_u local.get 1 i64.rotl local.get 1 i64.rotr
          i64.clz i64.ctz i64.popcnt i64.eqz i64.extend_i32_u i64.const -1 i64.eq i64.extend_i32_s
          local.get 0 i64.lt_s i64.extend_i32_u local.get 0 i64.ge_u i64.extend_i32_u
          i64.extend8_s i64.extend16_s i64.extend32_s i32.wrap_i64 i64.extend_i32_s)
        (func (param i32) (result i32) local.get 0 i32.const 7 i32.rem_s local.get 0 i32.const -1 i32.div_s i32.add))"#,
    );
}

#[test]
fn float_operators_and_conversions() {
    check(
        r#"(module
        (func (param f32 f32) (result f32)
          local.get 0 local.get 1 f32.add local.get 1 f32.sub local.get 1 f32.mul local.get 1 f32.div
          local.get 1 f32.min local.get 1 f32.max local.get 1 f32.copysign f32.abs f32.neg f32.ceil
          f32.floor f32.trunc f32.nearest f32.sqrt f32.const -0x1.8p3 f32.add)
        (func (param f64 f64) (result f64)
          local.get 0 local.get 1 f64.add local.get 1 f64.sub local.get 1 f64.mul local.get 1 f64.div
          local.get 1 f64.min local.get 1 f64.max local.get 1 f64.copysign f64.abs f64.neg f64.ceil
          f64.floor f64.trunc f64.nearest f64.sqrt f64.const nan f64.add)
        (func (param f32 f64) (result i32)
          local.get 0 local.get 0 f32.eq local.get 0 local.get 0 f32.ne i32.add
          local.get 0 local.get 0 f32.lt i32.add local.get 0 local.get 0 f32.gt i32.add
          local.get 0 local.get 0 f32.le i32.add local.get 0 local.get 0 f32.ge i32.add
          local.get 1 local.get 1 f64.eq i32.add local.get 1 local.get 1 f64.ne i32.add
          local.get 1 local.get 1 f64.lt i32.add local.get 1 local.get 1 f64.ge i32.add)
        (func (param f32 f64) (result i64)
          local.get 0 i32.trunc_f32_s local.get 0 i32.trunc_f32_u i32.add
          local.get 1 i32.trunc_f64_s i32.add local.get 1 i32.trunc_f64_u i32.add
          local.get 0 i32.trunc_sat_f32_s i32.add local.get 0 i32.trunc_sat_f32_u i32.add
          local.get 1 i32.trunc_sat_f64_s i32.add local.get 1 i32.trunc_sat_f64_u i32.add
          i64.extend_i32_u
          local.get 0 i64.trunc_f32_s i64.add local.get 0 i64.trunc_f32_u i64.add
          local.get 1 i64.trunc_f64_s i64.add local.get 1 i64.trunc_f64_u i64.add
          local.get 0 i64.trunc_sat_f32_s i64.add local.get 0 i64.trunc_sat_f32_u i64.add
          local.get 1 i64.trunc_sat_f64_s i64.add local.get 1 i64.trunc_sat_f64_u i64.add)
        (func (param i32 i64) (result f64)
          local.get 0 f32.convert_i32_s local.get 0 f32.convert_i32_u f32.add
          local.get 1 f32.convert_i64_s f32.add local.get 1 f32.convert_i64_u f32.add
          f64.promote_f32 local.get 0 f64.convert_i32_s f64.add local.get 0 f64.convert_i32_u f64.add
          local.get 1 f64.convert_i64_s f64.add local.get 1 f64.convert_i64_u f64.add
          f32.demote_f64 i32.reinterpret_f32 f32.reinterpret_i32 f64.promote_f32
          i64.reinterpret_f64 f64.reinterpret_i64))"#,
    );
}

#[test]
fn control_flow() {
    check(
        r#"(module
        (type $t (func (param i32 i32) (result i32 i32)))
        (func (param i32) (result i32)
          (block $b
            (loop $l
              local.get 0 i32.eqz br_if $b
              local.get 0 i32.const 1 i32.sub local.set 0
              br $l))
          i32.const 0)
        (func (param i32) (result i32)
          (if (result i32) (local.get 0) (then i32.const 1) (else i32.const 2)))
        (func (param i32)
          (if (local.get 0) (then nop)))
        (func (param i32) (result i32)
          (block (block (block (br_table 0 1 2 (local.get 0))) (return (i32.const 10))) (return (i32.const 11)))
          i32.const 12)
        (func (param i32) (result i32)
          (block (result i32) (br_table 0 0 (i32.const 5) (local.get 0))))
        (func (param i32 i32) (result i32 i32)
          local.get 0 local.get 1
          (block (type $t) i32.add i32.const 1)
          (loop (type $t) (br_if 0 (local.get 0)) )
          (if (type $t) (local.get 0) (then) (else i32.sub i32.const 2)))
        (func (param i32) (result i32)
          (if (type $t) (i32.const 1) (i32.const 2) (local.get 0) (then))
          drop)
        (func (result i32)
          unreachable i32.add drop (block (result i32) i32.const 1 br 0 i32.const 2) drop
          (if (i32.const 1) (then unreachable) (else (return (i32.const 3)))) i32.const 0)
        (func (result i32)
          (block (result i32) (i32.const 1) (br 0) (if (then) (else)) (loop) (i32.const 2)))
        (func (param i32) (result i32)
          (if (result i32) (local.get 0) (then (return (i32.const 1))) (else (unreachable))))
        (func (param i32) (result i32)
          (block (result i32) (loop (result i32) (br 1 (i32.const 3)))))
        (func (result f32 i64) f32.const 1 i64.const 2 return)
        (func (param i32 f64) (result f64)
          (local i64 f32 externref funcref)
          local.get 1 local.get 1 local.get 0 select
          f64.const 0 local.get 0 select (result f64)
          local.get 2 drop local.get 3 drop
          local.get 4 local.get 4 local.get 0 select (result externref) drop
          local.tee 1))"#,
    );
}

#[test]
fn memory_operators() {
    let clif = check_with(
        r#"(module
        (memory 1)
        (memory $m2 0 10)
        (data $d "hello")
        (func (param i32) (result i64)
          local.get 0 i32.load local.get 0 i32.load8_s i32.add local.get 0 i32.load8_u i32.add
          local.get 0 i32.load16_s offset=4294967295 i32.add local.get 0 i32.load16_u i32.add
          i64.extend_i32_u local.get 0 i64.load offset=2147483647 i64.add
          local.get 0 i64.load8_s i64.add local.get 0 i64.load8_u i64.add local.get 0 i64.load16_s i64.add
          local.get 0 i64.load16_u i64.add local.get 0 i64.load32_s i64.add local.get 0 i64.load32_u $m2 i64.add
          local.get 0 f32.load i64.trunc_sat_f32_s i64.add local.get 0 f64.load i64.trunc_sat_f64_s i64.add)
        (func (param i32 i64 f32 f64)
          local.get 0 local.get 0 i32.store local.get 0 local.get 1 i64.store offset=2147483648
          local.get 0 local.get 2 f32.store local.get 0 local.get 3 f64.store $m2
          local.get 0 local.get 0 i32.store8 local.get 0 local.get 0 i32.store16
          local.get 0 local.get 1 i64.store8 local.get 0 local.get 1 i64.store16 local.get 0 local.get 1 i64.store32)
        (func (param i32) (result i32)
          memory.size (memory.grow $m2 (local.get 0)) i32.add
          (memory.fill (local.get 0) (i32.const 0xff) (i32.const 10))
          (memory.copy (local.get 0) (i32.const 0) (i32.const 10))
          (memory.copy $m2 0 (local.get 0) (i32.const 0) (i32.const 10))
          (memory.init $d (local.get 0) (i32.const 0) (i32.const 5))
          data.drop $d))"#,
        WasmFeatures::WASM2 | WasmFeatures::MULTI_MEMORY,
    );
    assert!(
        clif[0].contains("user34"),
        "4-byte accesses trap with code 34:\n{}",
        clif[0]
    );
    assert!(
        clif[0].contains("user32"),
        "1-byte accesses trap with code 32:\n{}",
        clif[0]
    );
}

/// The 3.0 features memory64 tests need (`simd_isas` for the v128 accesses).
fn check_memory64(wat: &str) -> Vec<String> {
    let wasm = wat::parse_str(wat).unwrap();
    let features = WasmFeatures::WASM2
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::MEMORY64
        | WasmFeatures::TAIL_CALL;
    let info = module::parse(&wasm, features).unwrap();
    compile_on(&info, &simd_isas()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn memory64_accesses_are_bounds_checked() {
    let clif = check_memory64(
        r#"(module
        (memory $m64 i64 1)
        (memory $m32 1)
        (data $d "hello")
        (func (param i64) (result i64)
          local.get 0 i32.load i64.extend_i32_u local.get 0 i64.load8_s i64.add
          local.get 0 i64.load16_u offset=0xffff_ffff_ffff i64.add
          local.get 0 i64.load32_s offset=0xffff_ffff_ffff_ffff i64.add
          local.get 0 f64.load i64.trunc_sat_f64_s i64.add
          (v128.load (local.get 0)) i64x2.extract_lane 0 i64.add
          (v128.load8_lane 3 (local.get 0) (v128.const i64x2 0 0)) i64x2.extract_lane 1 i64.add
          (v128.load32_splat (local.get 0)) i64x2.extract_lane 1 i64.add)
        (func (param i64 i32)
          (i32.store (local.get 0) (local.get 1))
          (i64.store8 offset=7 (local.get 0) (i64.const 1))
          (v128.store (local.get 0) (v128.const i64x2 0 0))
          (v128.store64_lane 1 (local.get 0) (v128.const i64x2 0 0)))
        (func (param i64 i32) (result i64)
          memory.size (memory.grow (local.get 0)) i64.add
          (memory.fill (local.get 0) (i32.const 0xff) (local.get 0))
          (memory.copy (local.get 0) (local.get 0) (local.get 0))
          (memory.copy $m32 $m64 (local.get 1) (local.get 0) (local.get 1))
          (memory.copy $m64 $m32 (local.get 0) (local.get 1) (local.get 1))
          (memory.init $m64 $d (local.get 0) (i32.const 0) (i32.const 5))
          (drop (memory.grow $m32 (local.get 1)))
          (i64.extend_i32_u (memory.size $m32)) i64.add)
        (func (param i32) (result i32) (i32.load $m32 (local.get 0))))"#,
    );
    for code in [
        "uadd_overflow_trap",
        "trapnz",
        "user32",
        "user33",
        "user34",
        "user35",
        "user36",
    ] {
        let found = clif[0].contains(code) || clif[1].contains(code);
        assert!(found, "missing {code}:\n{}\n{}", clif[0], clif[1]);
    }
    // A 32-bit memory keeps the guard-page path: no check before the load.
    assert!(
        !clif[3].contains("trapnz") && !clif[3].contains("uadd_overflow_trap"),
        "{}",
        clif[3]
    );
}

#[test]
fn one_byte_page_memories_are_bounds_checked() {
    let clif = check_with(
        r#"(module
        (memory $small 1 (pagesize 1))
        (memory $large 1 (pagesize 65536))
        (func (param i32) (result i32) (i32.load $small (local.get 0)))
        (func (param i32) (result i32) (i32.load $large (local.get 0)))
        (func (result i32) (memory.size $small))
        (func (result i32) (memory.size $large)))"#,
        WasmFeatures::WASM2 | WasmFeatures::MULTI_MEMORY | WasmFeatures::CUSTOM_PAGE_SIZES,
    );
    assert!(
        clif[0].contains("uadd_overflow_trap") && clif[0].contains("trapnz"),
        "{}",
        clif[0]
    );
    // An explicit 64 KiB page size compiles like the default: guard pages.
    assert!(!clif[1].contains("trapnz"), "{}", clif[1]);
    // `memory.size` counts bytes for 1-byte pages, 64 KiB units otherwise.
    assert!(!clif[2].contains("ushr"), "{}", clif[2]);
    assert!(clif[3].contains("ushr"), "{}", clif[3]);
}

#[test]
fn wide_arithmetic_uses_i128_and_high_multiplies() {
    let clif = check_with(
        r#"(module
        (func (param i64 i64 i64 i64) (result i64 i64 i64 i64)
          (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3))
          (i64.sub128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
        (func (param i64 i64) (result i64 i64 i64 i64)
          (i64.mul_wide_s (local.get 0) (local.get 1))
          (i64.mul_wide_u (local.get 0) (local.get 1))))"#,
        WasmFeatures::WASM2 | WasmFeatures::WIDE_ARITHMETIC,
    );
    for op in ["iconcat", "iadd", "isub", "isplit"] {
        assert!(clif[0].contains(op), "missing {op}:\n{}", clif[0]);
    }
    for op in ["imul", "smulhi", "umulhi"] {
        assert!(clif[1].contains(op), "missing {op}:\n{}", clif[1]);
    }
}

#[test]
fn table64_operators_take_i64_indices() {
    let clif = check_memory64(
        r#"(module
        (type $ii (func (param i32) (result i32)))
        (table $t64 i64 4 funcref)
        (table $t32 2 funcref)
        (elem $e func $id)
        (func $id (param i32) (result i32) local.get 0)
        (func (param i64 i32) (result i64)
          (drop (call_indirect $t64 (type $ii) (i32.const 1) (local.get 0)))
          (table.set $t64 (local.get 0) (table.get $t64 (local.get 0)))
          table.size $t64 (table.grow $t64 (ref.null func) (local.get 0)) i64.add
          (table.fill $t64 (local.get 0) (ref.null func) (local.get 0))
          (table.copy $t64 $t64 (local.get 0) (local.get 0) (local.get 0))
          (table.copy $t32 $t64 (local.get 1) (local.get 0) (local.get 1))
          (table.copy $t64 $t32 (local.get 0) (local.get 1) (local.get 1))
          (table.init $t64 $e (local.get 0) (i32.const 0) (i32.const 1))
          (i64.extend_i32_u (table.size $t32)) i64.add)
        (func (param i64) (result i32)
          (return_call_indirect $t64 (type $ii) (i32.const 1) (local.get 0))))"#,
    );
    assert!(
        clif[1].contains("user7"),
        "call_indirect bounds check:\n{}",
        clif[1]
    );
}

#[test]
fn tables_references_and_calls() {
    let clif = check(
        r#"(module
        (type $ii (func (param i32) (result i32)))
        (import "env" "f" (func $f (param i32) (result i32)))
        (import "env" "g" (global $g (mut i64)))
        (import "env" "t" (table 1 funcref))
        (global $h (mut f32) (f32.const 0))
        (global $k i32 (i32.const 3))
        (table $t2 4 externref)
        (elem $e func $f $id)
        (elem declare func $id)
        (func $id (param i32) (result i32) local.get 0)
        (func (param i32) (result i32)
          (call $f (local.get 0)) (call $id) (call_indirect (type $ii) (i32.const 0))
          (call_indirect 0 (type $ii) (local.get 0)))
        (func (param i32 externref) (result i32)
          (table.set $t2 (local.get 0) (local.get 1))
          (table.get $t2 (local.get 0)) ref.is_null
          (table.set 0 (i32.const 0) (ref.func $id))
          (table.set 0 (i32.const 0) (ref.func $f))
          (table.set 0 (i32.const 0) (ref.null func))
          table.size $t2 i32.add
          (table.grow $t2 (ref.null extern) (i32.const 2)) i32.add
          (table.fill $t2 (i32.const 0) (local.get 1) (i32.const 1))
          (table.copy 0 0 (i32.const 0) (i32.const 0) (i32.const 1))
          (table.init 0 $e (i32.const 0) (i32.const 0) (i32.const 1))
          (elem.drop $e)
          global.get $g i32.wrap_i64 i32.add global.get $k i32.add
          (global.set $g (i64.const 5))
          (global.set $h (f32.const 1.5))))"#,
    );
    let indirect = &clif[1];
    for code in ["user7", "user8", "user9", "call_indirect"] {
        assert!(indirect.contains(code), "missing {code}:\n{indirect}");
    }
    assert!(
        clif[2].contains("user6"),
        "table accesses are bounds-checked:\n{}",
        clif[2]
    );
}

#[test]
fn typed_function_references() {
    let features =
        WasmFeatures::WASM2 | WasmFeatures::FUNCTION_REFERENCES | WasmFeatures::TAIL_CALL;
    let clif = check_with(
        r#"(module
        (type $ii (func (param i32) (result i32)))
        (global $g (ref $ii) (ref.func $sq))
        (table $t 2 (ref $ii) (ref.func $sq))
        (elem declare func $sq)
        (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
        (func (param $f (ref null $ii)) (result i32)
          (local $nn (ref $ii))
          (local.set $nn (ref.as_non_null (local.get $f)))
          (call_ref $ii (i32.const 3) (local.get $nn)))
        (func (param $f (ref null $ii)) (result i32)
          (return_call_ref $ii (i32.const 4) (local.get $f)))
        (func (param $f (ref null $ii)) (result i32)
          (block $null
            (return (call_ref $ii (i32.const 5) (br_on_null $null (local.get $f)))))
          (call_ref $ii (i32.const 6)
            (block $l (result (ref $ii))
              (br_on_non_null $l (local.get $f))
              (return (i32.const -1))))
          (call_ref $ii (i32.const 6) (global.get $g))
          i32.add
          (call_ref $ii (i32.const 7) (table.get $t (i32.const 1)))
          i32.add))"#,
        features,
    );
    assert!(clif[1].contains("user12"), "ref.as_non_null:\n{}", clif[1]);
    assert!(
        clif[1].contains("user14"),
        "call_ref null check:\n{}",
        clif[1]
    );
    assert!(clif[1].contains("call_indirect"), "{}", clif[1]);
    assert!(clif[2].contains("return_call_indirect"), "{}", clif[2]);
    assert!(
        !clif[1].contains("user9"),
        "no signature check:\n{}",
        clif[1]
    );
}

#[test]
fn translator_can_move_to_worker_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<FuncTranslator>();
}

#[test]
fn stack_limit_is_set() {
    let wasm = wat::parse_str("(module (func))").unwrap();
    let info = module::parse(&wasm, WasmFeatures::WASM2).unwrap();
    let isa = &isas()[0];
    let func = FuncTranslator::new().translate(&info, 0, &**isa).unwrap();
    assert!(func.stack_limit.is_some());
    assert_eq!(func.name.to_string(), "u0:0");
}

/// The ISAs that lower 128-bit SIMD inline (x86_64 with SSE4.1-class
/// extensions, aarch64).
fn simd_isas() -> Vec<OwnedTargetIsa> {
    let mut isas = isas();
    isas.remove(1);
    isas
}

/// Like [`check`], on [`simd_isas`].
fn check_simd(wat: &str) -> Vec<String> {
    let wasm = wat::parse_str(wat).unwrap();
    let info = module::parse(&wasm, WasmFeatures::WASM2).unwrap();
    compile_on(&info, &simd_isas()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn simd_values_cross_locals_blocks_calls_and_globals() {
    let clif = check_simd(
        r#"(module
        (global $g (mut v128) (v128.const i64x2 1 2))
        (global $c v128 (v128.const f32x4 1 2 3 4))
        (func $id (param v128) (result v128) local.get 0)
        (func (param v128 v128 i32) (result v128)
          (local $l v128)
          (local.set $l (i32x4.add (local.get 0) (local.get 1)))
          (block (result v128)
            (br_if 0 (f32x4.add (local.get 0) (local.get 1)) (local.get 2))
            drop
            (loop (result v128)
              (i64x2.add (local.get $l) (global.get $c))
              (local.tee $l)
              (br_if 0 (local.get 2))))
          (call $id)
          (global.set $g)
          (global.set $g (select (f64x2.sqrt (local.get 0)) (i16x8.neg (local.get 1)) (local.get 2)))
          (if (result v128) (local.get 2)
            (then (global.get $g))
            (else (return (i8x16.abs (local.get $l)))))))"#,
    );
    let f = &clif[1];
    assert!(
        f.contains("bitcast.i8x16 little"),
        "little-endian bitcasts:\n{f}"
    );
}

#[test]
fn simd_bitcasts_only_where_types_change() {
    let clif = check_simd(
        r#"(module
        (func (param v128 v128) (result v128)
          local.get 0 local.get 1 i32x4.add i32x4.neg local.get 1 i32x4.sub v128.not
          i32x4.abs))"#,
    );
    let f = &clif[0];
    // Two operands read as i32x4 (no bitcast back and forth in the chain),
    // one result returned as I8X16.
    assert_eq!(f.matches("bitcast.i32x4").count(), 3, "{f}");
    assert_eq!(f.matches("bitcast.i8x16").count(), 1, "{f}");
}

#[test]
fn simd_memory_operators_keep_sized_trap_codes() {
    let clif = check_simd(
        r#"(module
        (memory 1)
        (func (param i32 v128) (result v128)
          (v128.store offset=16 (local.get 0) (local.get 1))
          (v128.store8_lane 15 (local.get 0) (local.get 1))
          (v128.store16_lane 7 (local.get 0) (local.get 1))
          (v128.store32_lane 3 (local.get 0) (local.get 1))
          (v128.store64_lane 1 (local.get 0) (local.get 1))
          (local.set 1 (v128.load (local.get 0)))
          (local.set 1 (v128.load8_lane 3 (local.get 0) (local.get 1)))
          (local.set 1 (v128.load16_lane 2 (local.get 0) (local.get 1)))
          (local.set 1 (v128.load32_lane 1 (local.get 0) (local.get 1)))
          (v128.load64_lane 0 (local.get 0) (local.get 1))
          (i16x8.add (v128.load8x8_s (local.get 0)))
          (i16x8.add (v128.load8x8_u (local.get 0)))
          (i32x4.add (v128.load16x4_s (local.get 0)))
          (i32x4.add (v128.load16x4_u (local.get 0)))
          (i64x2.add (v128.load32x2_s (local.get 0)))
          (i64x2.add (v128.load32x2_u offset=4294967295 (local.get 0)))
          (v128.xor (v128.load8_splat (local.get 0)))
          (v128.xor (v128.load16_splat (local.get 0)))
          (v128.xor (v128.load32_splat (local.get 0)))
          (v128.xor (v128.load64_splat (local.get 0)))
          (v128.xor (v128.load32_zero (local.get 0)))
          (v128.xor (v128.load64_zero (local.get 0)))))"#,
    );
    for code in ["user32", "user33", "user34", "user35", "user36"] {
        assert!(clif[0].contains(code), "missing {code}:\n{}", clif[0]);
    }
}

#[test]
fn simd_lane_and_bitwise_operators() {
    check_simd(
        r#"(module
        (func (param v128 v128 i32 i64 f32 f64) (result i32)
          (i8x16.splat (local.get 2)) (i16x8.splat (local.get 2)) (i32x4.splat (local.get 2))
          (i64x2.splat (local.get 3)) (f32x4.splat (local.get 4)) (f64x2.splat (local.get 5))
          v128.and v128.or v128.xor v128.andnot v128.not (local.get 0) v128.bitselect
          (i8x16.replace_lane 15 (local.get 2)) (i16x8.replace_lane 7 (local.get 2))
          (i32x4.replace_lane 3 (local.get 2)) (i64x2.replace_lane 1 (local.get 3))
          (f32x4.replace_lane 2 (local.get 4)) (f64x2.replace_lane 0 (local.get 5))
          (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31 (local.get 1))
          (i8x16.swizzle (local.get 0))
          (local.set 0)
          (i8x16.extract_lane_s 1 (local.get 0)) (i8x16.extract_lane_u 2 (local.get 0)) i32.add
          (i16x8.extract_lane_s 3 (local.get 0)) i32.add (i16x8.extract_lane_u 4 (local.get 0)) i32.add
          (i32x4.extract_lane 3 (local.get 0)) i32.add
          (i64x2.extract_lane 1 (local.get 0)) i32.wrap_i64 i32.add
          (f32x4.extract_lane 2 (local.get 0)) i32.trunc_sat_f32_s i32.add
          (f64x2.extract_lane 1 (local.get 0)) i32.trunc_sat_f64_s i32.add
          (v128.any_true (local.get 0)) i32.add
          (i8x16.all_true (local.get 0)) i32.add (i16x8.all_true (local.get 0)) i32.add
          (i32x4.all_true (local.get 0)) i32.add (i64x2.all_true (local.get 0)) i32.add
          (i8x16.bitmask (local.get 0)) i32.add (i16x8.bitmask (local.get 0)) i32.add
          (i32x4.bitmask (local.get 0)) i32.add (i64x2.bitmask (local.get 0)) i32.add
          (v128.any_true (f32x4.abs (local.get 0))) i32.add
          (v128.any_true (v128.and (f64x2.neg (local.get 0)) (local.get 1))) i32.add))"#,
    );
}

#[test]
fn simd_integer_operators() {
    let mut body = String::new();
    for shape in ["i8x16", "i16x8", "i32x4", "i64x2"] {
        let mut ops = vec!["add", "sub", "eq", "ne", "lt_s", "gt_s", "le_s", "ge_s"];
        if shape != "i64x2" {
            ops.extend([
                "lt_u", "gt_u", "le_u", "ge_u", "min_s", "min_u", "max_s", "max_u",
            ]);
        }
        if shape != "i8x16" {
            ops.push("mul");
        }
        if shape == "i8x16" || shape == "i16x8" {
            ops.extend(["add_sat_s", "add_sat_u", "sub_sat_s", "sub_sat_u", "avgr_u"]);
        }
        for op in ops {
            body += &format!("(local.get 1) {shape}.{op}\n");
        }
        for op in ["shl", "shr_s", "shr_u"] {
            body += &format!("(local.get 2) {shape}.{op}\n");
        }
        body += &format!("{shape}.abs {shape}.neg\n");
    }
    body += "i8x16.popcnt (local.get 1) i16x8.q15mulr_sat_s (local.get 1) i32x4.dot_i16x8_s\n";
    body += "(local.get 1) i8x16.narrow_i16x8_s (local.get 1) i8x16.narrow_i16x8_u\n";
    body += "(local.get 1) i16x8.narrow_i32x4_s (local.get 1) i16x8.narrow_i32x4_u\n";
    for (wide, narrow) in [("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4")] {
        for half in ["low", "high"] {
            for sign in ["s", "u"] {
                body += &format!("{wide}.extend_{half}_{narrow}_{sign}\n");
                body += &format!("(local.get 1) {wide}.extmul_{half}_{narrow}_{sign}\n");
            }
        }
    }
    for (wide, narrow) in [("i16x8", "i8x16"), ("i32x4", "i16x8")] {
        for sign in ["s", "u"] {
            body += &format!("{wide}.extadd_pairwise_{narrow}_{sign}\n");
        }
    }
    check_simd(&format!(
        "(module (func (param v128 v128 i32) (result v128) (local.get 0)\n{body}))"
    ));
}

#[test]
fn simd_float_operators_and_conversions() {
    let mut body = String::new();
    for shape in ["f32x4", "f64x2"] {
        for op in [
            "add", "sub", "mul", "div", "min", "max", "pmin", "pmax", "eq", "ne", "lt", "gt", "le",
            "ge",
        ] {
            body += &format!("(local.get 1) {shape}.{op}\n");
        }
        for op in ["abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest"] {
            body += &format!("{shape}.{op}\n");
        }
    }
    body += "i32x4.trunc_sat_f32x4_s f32x4.convert_i32x4_s i32x4.trunc_sat_f32x4_u \
             f32x4.convert_i32x4_u f64x2.promote_low_f32x4 i32x4.trunc_sat_f64x2_s_zero \
             f64x2.convert_low_i32x4_s i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_u \
             f32x4.demote_f64x2_zero\n";
    check_simd(&format!(
        "(module (func (param v128 v128) (result v128) (local.get 0)\n{body}))"
    ));
}

#[test]
fn simd_without_sse41_is_unsupported() {
    let wasm = wat::parse_str("(module (func (param v128) (result v128) local.get 0 f32x4.ceil))")
        .unwrap();
    let info = module::parse(&wasm, WasmFeatures::WASM2).unwrap();
    let err = FuncTranslator::new()
        .translate(&info, 0, &*isas()[1])
        .unwrap_err();
    match err {
        CompileError::Unsupported { feature, offset } => {
            assert!(feature.starts_with("F32x4Ceil"), "{feature}");
            assert!(offset > 0);
        }
        other => panic!("expected unsupported, got {other}"),
    }
    // Moving v128 values around needs no extension.
    let wasm =
        wat::parse_str("(module (func (param v128) (result v128) (local v128) local.get 0))")
            .unwrap();
    let info = module::parse(&wasm, WasmFeatures::WASM2).unwrap();
    compile_all(&info).unwrap();
}

/// The text of every `(module ...)` form in a `.wast` script, at any depth
/// (modules inside `assert_invalid` and the like fail to validate and are
/// skipped by the caller).
fn modules_in_wast(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let (mut modules, mut i) = (Vec::new(), 0);
    let mut stack: Vec<usize> = Vec::new();
    let mut module_at: Option<(usize, usize)> = None;
    while i < bytes.len() {
        match bytes[i] {
            b';' if bytes.get(i + 1) == Some(&b';') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' if bytes.get(i + 1) == Some(&b';') => {
                let mut depth = 0;
                while i < bytes.len() {
                    if bytes[i..].starts_with(b"(;") {
                        depth += 1;
                        i += 2;
                    } else if bytes[i..].starts_with(b";)") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' => {
                let rest = &text[i + 1..];
                let is_module = rest.starts_with("module")
                    && rest[6..].starts_with(|c: char| c.is_whitespace() || c == ')');
                if is_module && module_at.is_none() {
                    module_at = Some((i, stack.len()));
                }
                stack.push(i);
            }
            b')' => {
                stack.pop();
                if let Some((start, depth)) = module_at {
                    if stack.len() == depth {
                        modules.push(&text[start..=i]);
                        module_at = None;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    modules
}

/// Translates and compiles every valid module of the spec test suite
/// (`WAOT_SPEC_DIR`, default `../../../shared/spec-tests/2.0` from this
/// crate, and its `simd/` directory, compiled on [`simd_isas`]).
#[test]
#[ignore = "needs the spec test files; slow"]
fn spec_suite_translates() {
    use std::path::PathBuf;
    let dir = std::env::var_os("WAOT_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec-tests/2.0")
        });
    let mut wasts = Vec::new();
    for d in [dir.clone(), dir.join("simd")] {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        wasts.extend(
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "wast")),
        );
    }
    wasts.sort();
    assert!(!wasts.is_empty(), "no .wast files in {}", dir.display());
    let (mut modules, mut funcs) = (0, 0);
    let mut failures = Vec::new();
    for wast in &wasts {
        let text = std::fs::read_to_string(wast).unwrap();
        for (n, wat) in modules_in_wast(&text).into_iter().enumerate() {
            let Ok(wasm) = wat::parse_str(wat) else {
                continue;
            };
            let Ok(info) = module::parse(&wasm, WasmFeatures::WASM2) else {
                continue;
            };
            modules += 1;
            funcs += info.num_defined_funcs();
            let simd = wast.parent().is_some_and(|p| p.ends_with("simd"));
            let result = if simd {
                compile_on(&info, &simd_isas())
            } else {
                compile_all(&info)
            };
            if let Err(e) = result {
                failures.push(format!("{} module {n}: {e}", wast.display()));
            }
        }
    }
    eprintln!("{modules} modules, {funcs} functions");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
#[ignore = "prints CLIF for eyeballing"]
fn print_clif() {
    let wat = std::env::var("WAOT_WAT").unwrap_or_else(|_| "(module (func))".into());
    for f in check_with(&wat, WasmFeatures::all()) {
        println!("{f}");
    }
}

/// Exception handling: every payload type, all four catch kinds, nested
/// scopes, a catch that targets a loop, dead `try_table`s, `throw_ref`, and
/// pending-exception checks after calls.
#[test]
fn exceptions_translate() {
    let features = WasmFeatures::WASM2 | WasmFeatures::EXCEPTIONS;
    let wasm = wat::parse_str(
        r#"(module
        (tag $e (param i32 i64 f32 f64 v128 funcref externref))
        (tag $e0)
        (tag $e1 (param i32))
        (table 1 funcref)
        (func $callee (param i32) (result i32) (local.get 0))
        (func (export "all") (param i32) (result i32)
          (local $x exnref)
          (block $outer (result exnref)
            (block $h0
              (block $h (result i32 i64 f32 f64 v128 funcref externref)
                (try_table (result i32) (catch $e $h) (catch $e0 $h0) (catch_all_ref $outer)
                  (try_table (result i32)
                    (call $callee (local.get 0))
                    (call_indirect (param i32) (result i32) (i32.const 0)))
                  (if (then (throw $e (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4)
                      (v128.const i32x4 5 6 7 8) (ref.null func) (ref.null extern))))
                  (i32.const 0))
                (return))
              (return (i32.const 1)))
            (return (i32.const 2)))
          (local.set $x)
          (block $h (result exnref)
            (try_table (catch_ref $e0 $h) (throw_ref (local.get $x)))
            (unreachable))
          (throw_ref))
        (func (param i32) (result i32)
          (local.get 0)
          (loop $l (param i32) (result i32)
            (try_table (param i32) (result i32) (catch $e1 $l)
              (if (i32.eqz (local.get 0)) (then (throw $e1 (i32.const 1)))))))
        (func
          (block $h
            (try_table (catch_all $h) (return) (try_table (catch_all 0) (throw $e0)))))
        (func (result exnref)
          (block $h (result exnref)
            (try_table (catch_all_ref $h) (throw $e0)) (unreachable))))"#,
    )
    .unwrap();
    let info = module::parse(&wasm, features).unwrap();
    // A v128 payload needs inline SIMD on x86_64.
    let clif = compile_on(&info, &simd_isas()).unwrap_or_else(|e| panic!("{e}"));
    // Calls are followed by a check of the store's pending slot.
    assert!(clif[1].contains("brif"), "{}", clif[1]);
}

/// Legacy exception handling: clauses of every kind, `rethrow` from nested
/// clauses, `delegate` to a `try`, a `try_table` and the caller, branches,
/// `return` and tail calls out of clauses (which drop their holds), a
/// `try_table` inside a clause, a `try` with parameters, and dead code.
#[test]
fn legacy_exceptions_translate() {
    let features = WasmFeatures::WASM2
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::EXCEPTIONS
        | WasmFeatures::LEGACY_EXCEPTIONS;
    let wasm = wat::parse_str(
        r#"(module
        (tag $e (param i32 v128))
        (tag $e0)
        (func $callee (param i32) (result i32) (local.get 0))
        (func $void)
        (func (param i32) (result i32)
          (local $x i32)
          block $out (result i32)
            loop $l
              try (result i32)
                local.get 0
                call $callee
                drop
                try
                  i32.const 1
                  v128.const i32x4 1 2 3 4
                  throw $e
                catch $e0
                  rethrow 0
                catch_all
                  i32.const 5
                  br_if $l
                  try
                    call $void
                  catch $e
                    drop
                    i32.const 0
                    br_table $l 1 0
                  catch_all
                    rethrow 1
                  end
                end
                i32.const 2
              catch $e
                drop
                local.set $x
                local.get $x
                local.get $x
                br_if $out
                drop
                block $h
                  try_table (catch_all $h)
                    rethrow 2
                  end
                end
                local.get $x
                return
              catch_all
                i32.const 9
                return_call $callee
              end
              drop
            end
            i32.const 3
          end)
        (func (result i32)
          try $t (result i32)
            block $b
              try_table $tt (catch_all $b)
                try
                  throw $e0
                delegate $tt
                try
                  call $void
                delegate $t
                try
                  call $void
                delegate 3
              end
            end
            i32.const 0
          catch_all
            i32.const 1
          end)
        (func (param i32) (result i32)
          local.get 0
          try (param i32) (result i32)
            unreachable
            try
            catch $e0
              try
              delegate 0
            end
          catch $e0
            i32.const 1
          end))"#,
    )
    .unwrap();
    let info = module::parse(&wasm, features).unwrap();
    compile_on(&info, &simd_isas()).unwrap_or_else(|e| panic!("{e}"));
}

/// A module without exception-handling constructs compiles to the same code
/// whether or not the feature is enabled: no pending-exception checks.
#[test]
fn no_exception_checks_without_exception_handling() {
    let wat = r#"(module
        (import "m" "f" (func $f (param i32) (result i32)))
        (table 1 funcref)
        (func (export "g") (param i32) (result i32)
          (call $f (local.get 0))
          (call_indirect (param i32) (result i32) (i32.const 0))))"#;
    let without = check_with(wat, WasmFeatures::WASM2);
    let with = check_with(wat, WasmFeatures::WASM2 | WasmFeatures::EXCEPTIONS);
    assert_eq!(without, with);
    assert!(!with[0].contains("brif"), "{}", with[0]);
    // With a tag, the same calls are checked.
    let tagged = wat.replace("(table 1 funcref)", "(table 1 funcref) (tag)");
    let checked = check_with(&tagged, WasmFeatures::WASM2 | WasmFeatures::EXCEPTIONS);
    assert_eq!(checked[0].matches("brif").count(), 2, "{}", checked[0]);
}

#[test]
fn modules_using_exceptions_are_flagged() {
    let features = WasmFeatures::WASM2 | WasmFeatures::EXCEPTIONS;
    let flagged = |wat: &str| {
        let wasm = wat::parse_str(wat).unwrap();
        module::parse(&wasm, features).unwrap().meta.uses_exceptions
    };
    assert!(!flagged("(module (func (call 0)))"));
    assert!(flagged("(module (tag))"));
    assert!(flagged(r#"(module (import "m" "t" (tag)))"#));
    assert!(flagged("(module (func (try_table)))"));
    assert!(flagged(
        "(module (func (param exnref) (throw_ref (local.get 0))))"
    ));
}

/// Compiles a GC module (which may use `v128` fields) on [`simd_isas`].
fn check_gc(wat: &str) -> Vec<String> {
    let wasm = wat::parse_str(wat).unwrap();
    let info = module::parse(&wasm, crate::config::DEFAULT_FEATURES).unwrap();
    compile_on(&info, &simd_isas()).unwrap_or_else(|e| panic!("{e}"))
}

/// Structs: allocation, packed fields (truncating stores, extending loads),
/// null checks.
#[test]
fn gc_structs() {
    let clif = check_gc(
        r#"(module
        (type $s (struct (field (mut i8)) (field i64) (field (mut i16)) (field v128)
                         (field (mut (ref null $s))) (field f32)))
        (func (param i32 i64) (result (ref $s))
          (struct.new $s (local.get 0) (local.get 1) (i32.const 0) (v128.const i64x2 1 2)
                         (ref.null $s) (f32.const 1)))
        (func (result (ref $s)) (struct.new_default $s))
        (func (param (ref null $s)) (result i32)
          (struct.get_s $s 0 (local.get 0))
          (struct.get_u $s 2 (local.get 0))
          i32.add
          (i32.wrap_i64 (struct.get $s 1 (local.get 0)))
          i32.add)
        (func (param (ref null $s) i32)
          (struct.set $s 0 (local.get 0) (local.get 1))
          (struct.set $s 2 (local.get 0) (local.get 1))
          (struct.set $s 4 (local.get 0) (local.get 0))))"#,
    );
    // Inline allocation stores the bump cursor, the type id, the flags and
    // the start bit; constant zeros (i32 0, ref.null) are already there, so
    // 4 of 6 fields are stored.
    assert_eq!(clif[0].matches("store").count(), 4 + 4, "{}", clif[0]);
    // When the bump region is full, the builtin allocates (a cold call).
    assert!(clif[0].contains("cold") && clif[0].contains("call_indirect"));
    assert!(clif[0].contains("istore16") || clif[0].contains("istore8"));
    assert!(clif[2].contains("sload8") && clif[2].contains("uload16"));
    // NullStructReference is trap code 17.
    assert!(clif[2].contains("user17"), "{}", clif[2]);
    assert!(clif[3].contains("istore8") && clif[3].contains("istore16"));
    // Fields are mutable: never `readonly`.
    assert!(
        clif[2].contains("sload8.i32 notrap aligned v"),
        "{}",
        clif[2]
    );
}

/// Arrays: every allocation form, element access with bounds checks, and
/// the bulk operations (builtins).
#[test]
fn gc_arrays() {
    let clif = check_gc(
        r#"(module
        (type $b (array (mut i8)))
        (type $v (array (mut v128)))
        (type $r (array (mut anyref)))
        (data $d "abc")
        (elem $e anyref (ref.i31 (i32.const 1)))
        (func (param i32) (result (ref $b)) (array.new $b (i32.const 7) (local.get 0)))
        (func (param i32) (result (ref $v)) (array.new_default $v (local.get 0)))
        (func (result (ref $r))
          (array.new_fixed $r 3 (ref.i31 (i32.const 1)) (ref.null any) (ref.i31 (i32.const 2))))
        (func (result (ref $b)) (array.new_data $b $d (i32.const 0) (i32.const 3)))
        (func (result (ref $r)) (array.new_elem $r $e (i32.const 0) (i32.const 1)))
        (func (param (ref null $b) i32) (result i32)
          (array.get_s $b (local.get 0) (local.get 1))
          (array.get_u $b (local.get 0) (local.get 1))
          i32.add
          (array.len (local.get 0))
          i32.add)
        (func (param (ref null $v) i32) (result v128)
          (array.set $v (local.get 0) (local.get 1) (v128.const i32x4 1 2 3 4))
          (array.get $v (local.get 0) (local.get 1)))
        (func (param (ref null $b) (ref null $b) (ref null $r) i32)
          (array.fill $b (local.get 0) (local.get 3) (i32.const 9) (local.get 3))
          (array.copy $b $b (local.get 0) (i32.const 0) (local.get 1) (i32.const 1) (local.get 3))
          (array.init_data $b $d (local.get 0) (i32.const 0) (i32.const 0) (i32.const 2))
          (array.init_elem $r $e (local.get 2) (i32.const 0) (i32.const 0) (i32.const 1))))"#,
    );
    // array.new fills in a loop: a back edge to a block with a parameter.
    assert!(clif[0].contains("istore8"), "{}", clif[0]);
    // ArrayOutOfBounds (20) and NullArrayReference (18).
    assert!(clif[5].contains("user20") && clif[5].contains("user18"));
    // The OutOfMemory (13) trap of a failed allocation is in a cold block.
    assert!(clif[1].contains("user13") && clif[1].contains("cold"));
    // ArrayNewData can fail with MemoryOutOfBounds (5) or OutOfMemory.
    assert!(clif[3].contains("user5") && clif[3].contains("user13"));
}

/// `i31`, `ref.eq`, casts to every kind of target, the conversions.
#[test]
fn gc_references_and_casts() {
    let clif = check_gc(
        r#"(module
        (type $f (func))
        (type $s (sub (struct (field i32))))
        (type $t (sub final $s (struct (field i32))))
        (type $a (array i8))
        (func (param i32) (result i32 i32)
          (i31.get_s (ref.i31 (local.get 0)))
          (i31.get_u (ref.i31 (local.get 0))))
        (func (param eqref eqref) (result i32) (ref.eq (local.get 0) (local.get 1)))
        (func (param anyref) (result i32)
          (ref.test (ref any) (local.get 0))
          (ref.test eqref (local.get 0))
          (ref.test (ref i31) (local.get 0))
          (ref.test (ref null struct) (local.get 0))
          (ref.test (ref array) (local.get 0))
          (ref.test (ref none) (local.get 0))
          (ref.test (ref null none) (local.get 0))
          (ref.test (ref $s) (local.get 0))
          (ref.test (ref null $t) (local.get 0))
          (ref.test (ref $a) (local.get 0))
          i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add)
        (func (param funcref externref) (result i32)
          (ref.test (ref $f) (local.get 0))
          (ref.test (ref nofunc) (local.get 0))
          (ref.test (ref extern) (local.get 1))
          i32.add i32.add)
        (func (param anyref) (result (ref $s))
          (ref.cast (ref $s) (local.get 0)))
        (func (param anyref) (result (ref null i31))
          (ref.cast (ref null i31) (local.get 0)))
        (func (param anyref) (result i32)
          (block $l (result (ref $t))
            (br_on_cast $l anyref (ref $t) (local.get 0))
            (block $m (result anyref)
              (br_on_cast_fail $m anyref (ref null eq) (local.get 0)))
            drop
            (return (i32.const 0)))
          drop
          (i32.const 1))
        (func (param externref) (result externref)
          (extern.convert_any (any.convert_extern (local.get 0)))))"#,
    );
    // ref.i31 shifts in 32 bits (bit 31 falls off), then zero-extends.
    let shl = clif[0].find("ishl").expect("ref.i31 shifts");
    assert!(clif[0][shl..].contains("uextend.i64"), "{}", clif[0]);
    assert!(clif[0].contains("sshr") && clif[0].contains("ushr"));
    // Only the non-final $s asks the runtime (FuncSubtype, table slot 11).
    assert_eq!(clif[2].matches("call_indirect").count(), 1, "{}", clif[2]);
    // CastFailure is trap code 21.
    assert!(clif[4].contains("user21"), "{}", clif[4]);
    // Conversions trap with OutOfMemory on u64::MAX.
    assert_eq!(clif[7].matches("user13").count(), 2, "{}", clif[7]);
}
