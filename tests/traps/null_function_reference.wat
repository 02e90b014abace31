;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: null function reference
;; EXPECT-STDERR-CONTAINS: call_null_ref
;; EXPECT-FRAME: call_null_ref (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; call_ref of a null typed function reference (typed function references).
(module
  (memory (export "memory") 1)
  (type $void (func))
  ;; `_start` calls through this table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $call_null_ref)

  (func $call_null_ref (param $f (ref null $void))
    (call_ref $void (local.get $f)))

  (func (export "_start")
    (call_indirect $calls (param (ref null $void)) (ref.null $void) (i32.const 0)))
)
