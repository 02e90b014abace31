;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: out of bounds memory access
;; EXPECT-FRAME: fill_past_end (wasm function 0)
;; EXPECT-FRAME: clear (wasm function 1)
;; EXPECT-FRAME: wasm function 2
;;
;; memory.fill of 16 bytes at 65530 in a 1-page memory. The bounds check is
;; done by a runtime builtin, which reports failure to the generated code,
;; which then traps: the backtrace is the same as for a fault. Calls go
;; through a table so that no frame is inlined away.
(module
  (memory (export "memory") 1)
  (table $calls 2 funcref)
  (elem (table $calls) (i32.const 0) func $fill_past_end $clear)

  (func $fill_past_end (param $at i32)
    (memory.fill (local.get $at) (i32.const 0) (i32.const 16)))

  (func $clear (param $at i32)
    (call_indirect $calls (param i32) (local.get $at) (i32.const 0)))

  (func (export "_start")
    (call_indirect $calls (param i32) (i32.const 65530) (i32.const 1)))
)
