;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: null array reference
;; EXPECT-STDERR-CONTAINS: array_length
;; EXPECT-FRAME: array_length (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; array.len of a null array reference (GC).
(module
  (memory (export "memory") 1)
  (type $bytes (array (mut i8)))
  ;; `_start` calls through a table so the callee is not inlined.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $array_length)

  (func $array_length (param $a (ref null $bytes)) (result i32)
    (array.len (local.get $a)))

  (func (export "_start")
    (drop (call_indirect $calls (param (ref null $bytes)) (result i32)
      (ref.null $bytes) (i32.const 0))))
)
