;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: unreachable
;; EXPECT-STDERR-CONTAINS: reach_unreachable
;;
;; `unreachable` executed in a function called from `_start`.
(module
  (memory (export "memory") 1)

  (func $reach_unreachable
    unreachable)

  (func (export "_start")
    call $reach_unreachable)
)
