;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: invalid conversion to integer
;; EXPECT-STDERR-CONTAINS: truncate_nan
;;
;; i32.trunc_f32_s of a NaN (the non-saturating conversion traps).
(module
  (memory (export "memory") 1)

  (func $truncate_nan (param $x f32) (result i32)
    (i32.trunc_f32_s (local.get $x)))

  (func (export "_start")
    (drop (call $truncate_nan (f32.const nan))))
)
