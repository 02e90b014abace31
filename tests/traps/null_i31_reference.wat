;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: null i31 reference
;; EXPECT-STDERR-CONTAINS: unbox
;; EXPECT-FRAME: unbox (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; i31.get_s of a null i31 reference (GC).
(module
  (memory (export "memory") 1)
  ;; `_start` calls through a table so the callee is not inlined.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $unbox)

  (func $unbox (param $r i31ref) (result i32)
    (i31.get_s (local.get $r)))

  (func (export "_start")
    (drop (call_indirect $calls (param i31ref) (result i32)
      (ref.null i31) (i32.const 0))))
)
