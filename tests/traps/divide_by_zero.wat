;; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: integer divide by zero
;; EXPECT-STDERR-CONTAINS: divide_unsigned
;;
;; i32.div_u by 0. The operands come in as parameters so the division cannot
;; be folded away at compile time.
(module
  (memory (export "memory") 1)

  (func $divide_unsigned (param $a i32) (param $b i32) (result i32)
    (i32.div_u (local.get $a) (local.get $b)))

  (func (export "_start")
    (drop (call $divide_unsigned (i32.const 42) (i32.const 0))))
)
