;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: unreachable
;; EXPECT-STDERR-CONTAINS: reach_unreachable
;; EXPECT-FRAME: reach_unreachable (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; `unreachable` executed in a function called from `_start`.
(module
  (memory (export "memory") 1)
  ;; `_start` calls through this table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $reach_unreachable)

  (func $reach_unreachable
    unreachable)

  (func (export "_start")
    (call_indirect $calls (i32.const 0)))
)
