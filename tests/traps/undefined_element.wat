;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: undefined element
;; EXPECT-STDERR-CONTAINS: call_past_end
;;
;; call_indirect with index 7 into a table of 2 elements.
(module
  (memory (export "memory") 1)
  (type $void (func))
  (table 2 funcref)
  (elem (i32.const 0) $target $target)

  (func $target)

  (func $call_past_end (param $i i32)
    (call_indirect (type $void) (local.get $i)))

  (func (export "_start")
    (call $call_past_end (i32.const 7)))
)
