;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: out of bounds table access
;; EXPECT-STDERR-CONTAINS: get_past_end
;; EXPECT-FRAME: get_past_end (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; table.get at index 5 of a table with 2 elements.
(module
  (memory (export "memory") 1)
  ;; `_start` calls through this table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $get_past_end)
  (table $t 2 funcref)

  (func $get_past_end (param $i i32) (result funcref)
    (table.get $t (local.get $i)))

  (func (export "_start")
    (drop (call_indirect $calls (param i32) (result funcref)
      (i32.const 5) (i32.const 0))))
)
