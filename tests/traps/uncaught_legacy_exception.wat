;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: uncaught exception
;;
;; The legacy `try`/`catch` (as LLVM emits for C++ exceptions): the clause
;; catches only another tag and the one behind it rethrows, so the
;; exception reaches the host and the program stops like a trap.
(module
  (memory (export "memory") 1)
  (tag $caught)
  (tag $thrown (param i32))

  (func $throw_it (param i32)
    (throw $thrown (local.get 0)))

  (func (export "_start")
    try
      try
        i32.const 7
        call $throw_it
      catch $caught
      end
    catch_all
      rethrow 0
    end)
)
