;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: indirect call type mismatch
;; EXPECT-STDERR-CONTAINS: call_wrong_type
;;
;; call_indirect expecting [] -> [i32] of an entry whose type is [] -> [].
(module
  (memory (export "memory") 1)
  (type $void (func))
  (type $to_i32 (func (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $target)

  (func $target (type $void))

  (func $call_wrong_type (param $i i32) (result i32)
    (call_indirect (type $to_i32) (local.get $i)))

  (func (export "_start")
    (drop (call $call_wrong_type (i32.const 0))))
)
