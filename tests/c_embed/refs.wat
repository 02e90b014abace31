;; funcref and externref across the C API: parameters, results, globals
;; and tables of both kinds.
(module
  (table $funcs (export "funcs") 2 10 funcref)
  (table $things (export "things") 2 externref)
  (type $i2i (func (param i32) (result i32)))
  (func $inc (export "inc") (type $i2i) local.get 0 i32.const 1 i32.add)
  (func $dec (type $i2i) local.get 0 i32.const 1 i32.sub)
  (elem (table $funcs) (i32.const 0) func $inc $dec)
  (global $last (export "last") (mut externref) (ref.null extern))
  ;; Stores its argument, returns the previous one.
  (func (export "keep") (param externref) (result externref)
    global.get $last
    local.get 0
    global.set $last)
  (func (export "is_null") (param externref) (result i32)
    local.get 0 ref.is_null)
  (func (export "get_func") (param i32) (result funcref)
    local.get 0 table.get $funcs)
  (func (export "dec_ref") (result funcref) ref.func $dec)
  ;; Calls f(x) through slot 1 of $funcs.
  (func (export "call_func") (param $f funcref) (param $x i32) (result i32)
    i32.const 1 local.get $f table.set $funcs
    local.get $x i32.const 1 call_indirect $funcs (type $i2i))
  (func (export "put") (param i32 externref)
    local.get 0 local.get 1 table.set $things)
  (func (export "take") (param i32) (result externref)
    local.get 0 table.get $things))
