;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: invalid conversion to integer
;; EXPECT-STDERR-CONTAINS: truncate_nan
;; EXPECT-FRAME: truncate_nan (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; i32.trunc_f32_s of a NaN (the non-saturating conversion traps).
(module
  (memory (export "memory") 1)
  ;; `_start` calls through this table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $truncate_nan)

  (func $truncate_nan (param $x f32) (result i32)
    (i32.trunc_f32_s (local.get $x)))

  (func (export "_start")
    (drop (call_indirect $calls (param f32) (result i32)
      (f32.const nan) (i32.const 0))))
)
