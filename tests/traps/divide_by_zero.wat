;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: integer divide by zero
;; EXPECT-STDERR-CONTAINS: divide_unsigned
;; EXPECT-FRAME: divide_unsigned (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; i32.div_u by 0. The operands come in as parameters so the division cannot
;; be folded away at compile time.
(module
  (memory (export "memory") 1)
  ;; `_start` calls through this table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $divide_unsigned)

  (func $divide_unsigned (param $a i32) (param $b i32) (result i32)
    (i32.div_u (local.get $a) (local.get $b)))

  (func (export "_start")
    (drop (call_indirect $calls (param i32 i32) (result i32)
      (i32.const 42) (i32.const 0) (i32.const 0))))
)
