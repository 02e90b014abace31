;; gctrees: the Benchmarks Game binary-trees workload on the WebAssembly GC
;; heap: nodes are structs, trees become garbage instead of being freed.
;; Same arguments, checks and output as ../binarytrees/binarytrees.c:
;; maximum depth N from argv[1] (default 17; 1 means 8, at least 6), prints
;; "ok <total nodes checked>" or "FAIL ..." with exit status 1.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (type $node (struct (field $left (ref null $node)) (field $right (ref null $node))))

  ;; Linear memory: 0..8 argc/argv-size, 16..24 iovec, 64.. text buffer,
  ;; 1024.. argv pointers and strings.
  (data (i32.const 128) "FAIL\n")

  (func $make (param $depth i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $depth))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else
        (struct.new $node
          (call $make (i32.sub (local.get $depth) (i32.const 1)))
          (call $make (i32.sub (local.get $depth) (i32.const 1)))))))

  (func $check (param $n (ref $node)) (result i64)
    (local $left (ref null $node))
    (local.set $left (struct.get $node $left (local.get $n)))
    (if (result i64) (ref.is_null (local.get $left))
      (then (i64.const 1))
      (else
        (i64.add (i64.const 1)
          (i64.add
            (call $check (ref.as_non_null (local.get $left)))
            (call $check (ref.as_non_null (struct.get $node $right (local.get $n)))))))))

  ;; atoi(argv[1]), or 17 without an argument.
  (func $max_depth (result i32)
    (local $p i32) (local $n i32) (local $c i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.lt_u (i32.load (i32.const 0)) (i32.const 2)) (then (return (i32.const 17))))
    (if (i32.gt_u (i32.add (i32.load (i32.const 4))
                    (i32.shl (i32.load (i32.const 0)) (i32.const 2)))
                  (i32.const 60000))
      (then (return (i32.const 17))))
    (drop (call $args_get (i32.const 1024)
      (i32.add (i32.const 1024) (i32.shl (i32.load (i32.const 0)) (i32.const 2)))))
    (local.set $p (i32.load (i32.const 1028)))
    (block $done
      (loop $digit
        (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
        (br_if $done (i32.gt_u (local.get $c) (i32.const 9)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (local.get $c)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digit)))
    (local.get $n))

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))))

  (func $fail
    (call $write (i32.const 128) (i32.const 5))
    (call $proc_exit (i32.const 1)))

  ;; Prints "ok <total>\n".
  (func $print_ok (param $total i64)
    (local $end i32) (local $p i32)
    (local.set $end (i32.const 120))
    (local.set $p (local.get $end))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $total) (i64.const 10)))))
      (local.set $total (i64.div_u (local.get $total) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $total) (i64.const 0))))
    (local.set $p (i32.sub (local.get $p) (i32.const 3)))
    (i32.store8 (local.get $p) (i32.const 111))
    (i32.store8 offset=1 (local.get $p) (i32.const 107))
    (i32.store8 offset=2 (local.get $p) (i32.const 32))
    (call $write (local.get $p) (i32.sub (i32.add (local.get $end) (i32.const 1)) (local.get $p))))

  (func (export "_start")
    (local $maxd i32) (local $d i32)
    (local $total i64) (local $c i64) (local $iters i64) (local $i i64) (local $sum i64)
    (local $long_lived (ref null $node))
    (local.set $maxd (call $max_depth))
    (if (i32.le_s (local.get $maxd) (i32.const 1)) (then (local.set $maxd (i32.const 8))))
    (if (i32.lt_s (local.get $maxd) (i32.const 6)) (then (local.set $maxd (i32.const 6))))
    ;; Stretch tree.
    (local.set $c (call $check (call $make (i32.add (local.get $maxd) (i32.const 1)))))
    (if (i64.ne (local.get $c)
          (i64.sub (i64.shl (i64.const 2) (i64.extend_i32_u (i32.add (local.get $maxd) (i32.const 1))))
                   (i64.const 1)))
      (then (call $fail)))
    (local.set $total (local.get $c))
    (local.set $long_lived (call $make (local.get $maxd)))
    (local.set $d (i32.const 4))
    (loop $depths
      (local.set $iters (i64.shl (i64.const 1)
        (i64.extend_i32_u (i32.add (i32.sub (local.get $maxd) (local.get $d)) (i32.const 4)))))
      (local.set $sum (i64.const 0))
      (local.set $i (i64.const 0))
      (loop $trees
        (local.set $sum (i64.add (local.get $sum) (call $check (call $make (local.get $d)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br_if $trees (i64.lt_u (local.get $i) (local.get $iters))))
      (if (i64.ne (local.get $sum)
            (i64.mul (local.get $iters)
              (i64.sub (i64.shl (i64.const 2) (i64.extend_i32_u (local.get $d))) (i64.const 1))))
        (then (call $fail)))
      (local.set $total (i64.add (local.get $total) (local.get $sum)))
      (local.set $d (i32.add (local.get $d) (i32.const 2)))
      (br_if $depths (i32.le_s (local.get $d) (local.get $maxd))))
    (local.set $c (call $check (ref.as_non_null (local.get $long_lived))))
    (if (i64.ne (local.get $c)
          (i64.sub (i64.shl (i64.const 2) (i64.extend_i32_u (local.get $maxd))) (i64.const 1)))
      (then (call $fail)))
    (call $print_ok (i64.add (local.get $total) (local.get $c))))
)
