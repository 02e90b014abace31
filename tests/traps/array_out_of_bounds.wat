;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: out of bounds array access
;; EXPECT-STDERR-CONTAINS: read_element
;; EXPECT-FRAME: read_element (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; array.get one past the end of a GC array.
(module
  (memory (export "memory") 1)
  (type $words (array (mut i32)))
  ;; `_start` calls through a table so the callee is not inlined.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $read_element)

  (func $read_element (param $a (ref $words)) (param $i i32) (result i32)
    (array.get $words (local.get $a) (local.get $i)))

  (func (export "_start")
    (drop (call_indirect $calls (param (ref $words) i32) (result i32)
      (array.new $words (i32.const 7) (i32.const 10)) (i32.const 10) (i32.const 0))))
)
