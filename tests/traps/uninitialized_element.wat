;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: uninitialized element
;; EXPECT-STDERR-CONTAINS: call_null
;; EXPECT-FRAME: call_null (wasm function 1)
;; EXPECT-FRAME: wasm function 2
;;
;; call_indirect of a null table entry: slot 1 of the 2-element table is
;; never initialized.
(module
  (memory (export "memory") 1)
  (type $void (func))
  (table 2 funcref)
  (elem (i32.const 0) $target)
  ;; `_start` calls through this second table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $call_null)

  (func $target)

  (func $call_null (param $i i32)
    (call_indirect (type $void) (local.get $i)))

  (func (export "_start")
    (call_indirect $calls (param i32) (i32.const 1) (i32.const 0)))
)
