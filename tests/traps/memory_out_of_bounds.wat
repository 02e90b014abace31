;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: out of bounds memory access
;; EXPECT-STDERR-CONTAINS: load_past_end
;; EXPECT-STDERR-CONTAINS: 4 bytes
;; EXPECT-STDERR-CONTAINS: memory size 0x10000 bytes
;; EXPECT-FRAME: load_past_end (wasm function 0)
;; EXPECT-FRAME: wasm function 1
;;
;; A 4-byte i32.load at address 65534 of a 1-page (65536-byte) memory: the
;; first two bytes are inside, the last two are not. The report names the
;; access size and the memory size.
(module
  (memory (export "memory") 1)
  ;; `_start` calls through this table: small functions called directly
  ;; are inlined into their callers, and the report must name this one.
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $load_past_end)

  (func $load_past_end (param $addr i32) (result i32)
    (i32.load (local.get $addr)))

  (func (export "_start")
    (drop (call_indirect $calls (param i32) (result i32)
      (i32.const 65534) (i32.const 0))))
)
