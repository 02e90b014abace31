;; Exports a function, a memory, a table and globals that consumer.wat
;; imports (instance-to-instance linking from C).
(module
  (memory (export "memory") 1 10)
  (table (export "table") 3 funcref)
  (global $scale (export "scale") (mut i32) (i32.const 3))
  (global (export "version") i32 (i32.const 7))
  (type $i2i (func (param i32) (result i32)))
  (func $scale_it (export "scale_it") (type $i2i)
    local.get 0 global.get $scale i32.mul)
  (func $neg (type $i2i) i32.const 0 local.get 0 i32.sub)
  (elem (i32.const 0) func $scale_it $neg)
  (func (export "divide") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.div_s)
  ;; Unbounded recursion: traps with "call stack exhausted".
  (func $deep (export "deep") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $deep)
  (func (export "peek") (param i32) (result i32) local.get 0 i32.load)
  (func (export "call_slot") (param $i i32) (param $x i32) (result i32)
    local.get $x local.get $i call_indirect (type $i2i)))
