;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: uninitialized element
;; EXPECT-STDERR-CONTAINS: call_null
;;
;; call_indirect of a null table entry: slot 1 of the 2-element table is
;; never initialized.
(module
  (memory (export "memory") 1)
  (type $void (func))
  (table 2 funcref)
  (elem (i32.const 0) $target)

  (func $target)

  (func $call_null (param $i i32)
    (call_indirect (type $void) (local.get $i)))

  (func (export "_start")
    (call $call_null (i32.const 1)))
)
