;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: null structure reference
;; EXPECT-STDERR-CONTAINS: get_field
;; EXPECT-FRAME: get_field (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; struct.get of a null struct reference (GC).
(module
  (memory (export "memory") 1)
  (type $point (struct (field $x i32) (field $y i32)))
  ;; `_start` calls through a table so the callee is not inlined.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $get_field)

  (func $get_field (param $p (ref null $point)) (result i32)
    (struct.get $point $y (local.get $p)))

  (func (export "_start")
    (drop (call_indirect $calls (param (ref null $point)) (result i32)
      (ref.null $point) (i32.const 0))))
)
