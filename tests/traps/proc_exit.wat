;; EXPECT-STATUS: 7
;; EXPECT-STDERR-EMPTY
;;
;; proc_exit(7) ends the program with exit status 7 and no report; the
;; `unreachable` after it must never run.
(module
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $exit_seven
    (call $proc_exit (i32.const 7))
    unreachable)

  (func (export "_start")
    call $exit_seven)
)
