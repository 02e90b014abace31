;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: cast failure
;; EXPECT-STDERR-CONTAINS: as_point
;; EXPECT-FRAME: as_point (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; ref.cast of an i31 to a struct type (GC).
(module
  (memory (export "memory") 1)
  (type $point (struct (field i32) (field i32)))
  ;; `_start` calls through a table so the callee is not inlined.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $as_point)

  (func $as_point (param $r anyref) (result (ref $point))
    (ref.cast (ref $point) (local.get $r)))

  (func (export "_start")
    (drop (call_indirect $calls (param anyref) (result (ref $point))
      (ref.i31 (i32.const 5)) (i32.const 0))))
)
