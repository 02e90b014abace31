;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: integer overflow
;; EXPECT-STDERR-CONTAINS: divide_signed
;; EXPECT-FRAME: divide_signed (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; i32.div_s of INT32_MIN by -1: the quotient 2^31 does not fit in an i32.
(module
  (memory (export "memory") 1)
  ;; `_start` calls through this table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $divide_signed)

  (func $divide_signed (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))

  (func (export "_start")
    (drop (call_indirect $calls (param i32 i32) (result i32)
      (i32.const 0x80000000) (i32.const -1) (i32.const 0))))
)
