;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: unaligned atomic
;; EXPECT-FRAME: add_misaligned (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; An i32.atomic.rmw.add at address 2 (+ offset 0) of a 1-page memory: in
;; bounds, but not a multiple of 4, so it traps before touching memory.
(module
  (memory (export "memory") 1)
  ;; `_start` calls through this table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $add_misaligned)

  (func $add_misaligned (param $addr i32) (result i32)
    (i32.atomic.rmw.add (local.get $addr) (i32.const 1)))

  (func (export "_start")
    (drop (call_indirect $calls (param i32) (result i32)
      (i32.const 2) (i32.const 0))))
)
