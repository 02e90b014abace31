;; Hello world as a WASI preview1 command module.
;;   wat2wasm hello.wat -o hello.wasm && waot build hello.wasm -o hello && ./hello
(module
  ;; fd_write(fd, iovs, iovs_len, nwritten_out) -> errno
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; iovec { buf = 16, buf_len = 17 } at offset 0; nwritten at offset 8.
  (data (i32.const 0) "\10\00\00\00\11\00\00\00")
  (data (i32.const 16) "Hello from waot!\n")

  (func (export "_start")
    (drop (call $fd_write
      (i32.const 1)     ;; stdout
      (i32.const 0)     ;; iovs
      (i32.const 1)     ;; iovs_len
      (i32.const 8))))  ;; nwritten
)
