;; Imports everything from the host: a memory, a table, two globals and a
;; function (tests/c_embed/linking.c creates them with waot_rt_*_new).
(module
  (import "env" "memory" (memory 1 4))
  (import "env" "table" (table 2 funcref))
  (import "env" "base" (global $base i32))
  (import "env" "counter" (global $counter (mut i64)))
  (import "env" "log" (func $log (param i32)))
  (type $i2i (func (param i32) (result i32)))
  (func $double (type $i2i) local.get 0 i32.const 2 i32.mul)
  (func $square (type $i2i) local.get 0 local.get 0 i32.mul)
  ;; Both segments write into the host's objects at instantiation.
  (elem (i32.const 0) func $double $square)
  (data (i32.const 16) "hello from wasm\00")
  (func (export "store") (param $addr i32) (param $v i32)
    local.get $addr
    global.get $base
    local.get $v
    i32.add
    i32.store)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size)
  (func (export "bump") (param i64) (result i64)
    global.get $counter
    local.get 0
    i64.add
    global.set $counter
    global.get $counter)
  (func (export "apply") (param $i i32) (param $x i32) (result i32)
    local.get $x
    local.get $i
    call_indirect (type $i2i))
  (func (export "notify") (param i32) local.get 0 call $log))
