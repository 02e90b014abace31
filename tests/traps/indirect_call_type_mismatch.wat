;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: indirect call type mismatch
;; EXPECT-STDERR-CONTAINS: call_wrong_type
;; EXPECT-FRAME: call_wrong_type (wasm function 1)
;; EXPECT-FRAME: wasm function 2
;;
;; call_indirect expecting [] -> [i32] of an entry whose type is [] -> [].
(module
  (memory (export "memory") 1)
  (type $void (func))
  (type $to_i32 (func (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $target)
  ;; `_start` calls through this second table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $call_wrong_type)

  (func $target (type $void))

  (func $call_wrong_type (param $i i32) (result i32)
    (call_indirect (type $to_i32) (local.get $i)))

  (func (export "_start")
    (drop (call_indirect $calls (param i32) (result i32)
      (i32.const 0) (i32.const 0))))
)
