;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: undefined element
;; EXPECT-STDERR-CONTAINS: call_past_end
;; EXPECT-FRAME: call_past_end (wasm function 1)
;; EXPECT-FRAME: wasm function 2
;;
;; call_indirect with index 7 into a table of 2 elements.
(module
  (memory (export "memory") 1)
  (type $void (func))
  (table 2 funcref)
  (elem (i32.const 0) $target $target)
  ;; `_start` calls through this second table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $call_past_end)

  (func $target)

  (func $call_past_end (param $i i32)
    (call_indirect (type $void) (local.get $i)))

  (func (export "_start")
    (call_indirect $calls (param i32) (i32.const 7) (i32.const 0)))
)
