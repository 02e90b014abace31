;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: null reference
;; EXPECT-STDERR-CONTAINS: as_non_null
;; EXPECT-FRAME: as_non_null (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; ref.as_non_null of a null reference (typed function references).
(module
  (memory (export "memory") 1)
  ;; `_start` calls through this table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $as_non_null)

  (func $as_non_null (param $r externref)
    (drop (ref.as_non_null (local.get $r))))

  (func (export "_start")
    (call_indirect $calls (param externref) (ref.null extern) (i32.const 0)))
)
