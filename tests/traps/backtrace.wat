;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: integer divide by zero
;; EXPECT-STDERR: wasm backtrace:
;; EXPECT-FRAME: innermost (wasm function 0)
;; EXPECT-FRAME: middle (wasm function 1)
;; EXPECT-FRAME: outer (wasm function 2)
;; EXPECT-FRAME: wasm function 3
;;
;; A trap three calls deep: the report lists every wasm frame, innermost
;; first, down to the exported `_start` (which has no name in the name
;; section, so only its index is shown). The calls go through a table:
;; small functions called directly are inlined into their callers, which
;; would merge their frames.
(module
  (memory (export "memory") 1)
  (table $calls 3 funcref)
  (elem (table $calls) (i32.const 0) func $innermost $middle $outer)

  (func $innermost (param $a i32) (param $b i32) (result i32)
    (i32.div_u (local.get $a) (local.get $b)))

  (func $middle (param $b i32) (result i32)
    (i32.add
      (call_indirect $calls (param i32 i32) (result i32)
        (i32.const 7) (local.get $b) (i32.const 0))
      (i32.const 1)))

  (func $outer (param $b i32) (result i32)
    (i32.mul
      (call_indirect $calls (param i32) (result i32) (local.get $b) (i32.const 1))
      (i32.const 3)))

  (func (export "_start")
    (drop (call_indirect $calls (param i32) (result i32) (i32.const 0) (i32.const 2))))
)
