;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: out of bounds table access
;; EXPECT-STDERR-CONTAINS: get_past_end
;;
;; table.get at index 5 of a table with 2 elements.
(module
  (memory (export "memory") 1)
  (table $t 2 funcref)

  (func $get_past_end (param $i i32) (result funcref)
    (table.get $t (local.get $i)))

  (func (export "_start")
    (drop (call $get_past_end (i32.const 5))))
)
