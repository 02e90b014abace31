;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: call stack exhausted
;; EXPECT-STDERR-CONTAINS: recurse_forever
;; EXPECT-FRAME: recurse_forever (wasm function 0)
;; EXPECT-STDERR-CONTAINS: more frames
;; EXPECT-STDERR-CONTAINS: : wasm function 1
;;
;; Unbounded recursion. The call is not in tail position (its result is
;; used), so every level keeps a frame until the stack limit is hit. The
;; backtrace folds the repeated frames and still shows the outermost one,
;; `_start` (function 1).
(module
  (memory (export "memory") 1)

  (func $recurse_forever (param $n i32) (result i32)
    (i32.add
      (call $recurse_forever (i32.add (local.get $n) (i32.const 1)))
      (i32.const 1)))

  (func (export "_start")
    (drop (call $recurse_forever (i32.const 0))))
)
