;; stats.wat: a second module linked into the same program as mathlib.
;; It shows multi-value results, exported globals, WASI given to an
;; embedded module by the host, and that two modules with the same export
;; names (counter_next) do not clash: every C symbol carries the prefix.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from WASI inside stats\n")

  ;; Sum of everything passed to `record`.
  (global $total (export "total") (mut i64) (i64.const 0))
  ;; Fixed at instantiation.
  (global (export "version") i32 (i32.const 3))
  (global $count (mut i32) (i32.const 0))

  (func (export "record") (param $x i64)
    (global.set $total (i64.add (global.get $total) (local.get $x))))

  (func (export "counter_next") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.get $count))

  ;; Two results: quotient and remainder (traps on division by zero).
  (func (export "divmod") (param $a i32) (param $b i32) (result i32 i32)
    (i32.div_s (local.get $a) (local.get $b))
    (i32.rem_s (local.get $a) (local.get $b)))

  ;; Writes a line to stdout through WASI fd_write; returns the errno.
  (func (export "hello") (result i32)
    ;; iovec at 0: { buf = 16, len = 29 }
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 29))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
