;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: uncaught exception
;;
;; An exception that no `try_table` catches reaches the host: the program
;; stops like a trap (status 134). The `try_table` on the way catches only
;; another tag, so the exception passes through it.
(module
  (memory (export "memory") 1)
  (tag $caught)
  (tag $thrown (param i32))

  (func $throw_it (param i32)
    (throw $thrown (local.get 0)))

  (func (export "_start")
    (block $h
      (try_table (catch $caught $h)
        (call $throw_it (i32.const 7)))))
)
