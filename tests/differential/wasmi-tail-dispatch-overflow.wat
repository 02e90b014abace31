;; Found by the differential fuzzer: a long straight-line f64 chain that
;; overflowed the *oracle's* stack (wasmi's tail-call dispatch is unbounded
;; recursion once coverage instrumentation breaks its tail calls; fixed by
;; building wasmi with `portable-dispatch`). waot was right all along.
(module
  (type (;0;) (func (param f64)))
  (func (;0;) (type 0) (param f64)
    (local f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f32 f32 f64 f64 f32)
    global.get 1
    i32.eqz
    if  ;; label = @1
      unreachable
    end
    global.get 1
    i32.const 1
    i32.sub
    global.set 1
    block  ;; label = @1
      loop  ;; label = @2
        global.get 1
        i32.eqz
        if  ;; label = @3
          unreachable
        end
        global.get 1
        i32.const 1
        i32.sub
        global.set 1
        local.get 0
        f32.const 0x1.3793acp+1 (;=2.43419;)
        i64.trunc_sat_f32_s
        i64.eqz
        f64.convert_i32_s
        local.set 0
        f64.nearest
        local.tee 1
        f64.const nan (;=nan;)
        local.get 1
        local.get 1
        f64.eq
        select
        f64.nearest
        local.tee 2
        f64.const nan (;=nan;)
        local.get 2
        local.get 2
        f64.eq
        select
        f64.nearest
        local.tee 3
        f64.const nan (;=nan;)
        local.get 3
        local.get 3
        f64.eq
        select
        f64.nearest
        local.tee 4
        f64.const nan (;=nan;)
        local.get 4
        local.get 4
        f64.eq
        select
        f64.nearest
        local.tee 5
        f64.const nan (;=nan;)
        local.get 5
        local.get 5
        f64.eq
        select
        f64.nearest
        local.tee 6
        f64.const nan (;=nan;)
        local.get 6
        local.get 6
        f64.eq
        select
        f64.nearest
        local.tee 7
        f64.const nan (;=nan;)
        local.get 7
        local.get 7
        f64.eq
        select
        f64.nearest
        local.tee 8
        f64.const nan (;=nan;)
        local.get 8
        local.get 8
        f64.eq
        select
        f64.nearest
        local.tee 9
        f64.const nan (;=nan;)
        local.get 9
        local.get 9
        f64.eq
        select
        f64.nearest
        local.tee 10
        f64.const nan (;=nan;)
        local.get 10
        local.get 10
        f64.eq
        select
        f64.nearest
        local.tee 11
        f64.const nan (;=nan;)
        local.get 11
        local.get 11
        f64.eq
        select
        f64.nearest
        local.tee 12
        f64.const nan (;=nan;)
        local.get 12
        local.get 12
        f64.eq
        select
        f64.nearest
        local.tee 13
        f64.const nan (;=nan;)
        local.get 13
        local.get 13
        f64.eq
        select
        f64.nearest
        local.tee 14
        f64.const nan (;=nan;)
        local.get 14
        local.get 14
        f64.eq
        select
        f64.nearest
        local.tee 15
        f64.const nan (;=nan;)
        local.get 15
        local.get 15
        f64.eq
        select
        f64.nearest
        local.tee 16
        f64.const nan (;=nan;)
        local.get 16
        local.get 16
        f64.eq
        select
        i64.reinterpret_f64
        block (result f64)  ;; label = @3
          f32.const -0x1p+127 (;=-1.70141e+38;)
          f32.floor
          local.tee 17
          f32.const nan (;=nan;)
          local.get 17
          local.get 17
          f32.eq
          select
          f32.sqrt
          local.tee 18
          f32.const nan (;=nan;)
          local.get 18
          local.get 18
          f32.eq
          select
          i32.const -8192
          i32.extend16_s
          i32.const -195439909
          i32.ne
          i64.extend_i32_u
          f64.const 0x1.p-1049 (;=1.65781e-316;)
          local.tee 0
          f64.sqrt
          local.tee 19
          f64.const nan (;=nan;)
          local.get 19
          local.get 19
          f64.eq
          select
          f64.sqrt
          local.tee 20
          f64.const nan (;=nan;)
          local.get 20
          local.get 20
          f64.eq
          select
          block  ;; label = @4
            data.drop 1
            table.size 0
            elem.drop 1
            br 2 (;@2;)
            f32.convert_i32_u
            i64.trunc_sat_f32_s
            i32.const 536870911
            elem.drop 0
            i32.clz
            data.drop 0
            f32.convert_i32_s
            i32.reinterpret_f32
            block (result f32)  ;; label = @5
              block (result f64)  ;; label = @6
                f64.const 0x1.24p-1066 (;=1.44267e-321;)
                i64.const 65535
                loop  ;; label = @7
                  global.get 1
                  i32.eqz
                  if  ;; label = @8
                    unreachable
                  end
                  global.get 1
                  i32.const 1
                  i32.sub
                  global.set 1
                  i32.const 65536
                  f32.const -0x1.fffffep+64 (;=-3.68935e+19;)
                  f32.sqrt
                  local.tee 21
                  f32.const nan (;=nan;)
                  local.get 21
                  local.get 21
                  f32.eq
                  select
                  loop (result i32)  ;; label = @8
                    global.get 1
                    i32.eqz
                    if  ;; label = @9
                      unreachable
                    end
                    global.get 1
                    i32.const 1
                    i32.sub
                    global.set 1
                    i32.const 7028962
                  end
                  unreachable
                end
                unreachable
              end
              unreachable
            end
            unreachable
          end
          unreachable
        end
        unreachable
      end
    end)
  (func (;1;) (type 0) (param f64)
    global.get 1
    i32.eqz
    if  ;; label = @1
      unreachable
    end
    global.get 1
    i32.const 1
    i32.sub
    global.set 1)
  (func (;2;) (type 0) (param f64)
    global.get 1
    i32.eqz
    if  ;; label = @1
      unreachable
    end
    global.get 1
    i32.const 1
    i32.sub
    global.set 1)
  (func (;3;) (type 0) (param f64)
    global.get 1
    i32.eqz
    if  ;; label = @1
      unreachable
    end
    global.get 1
    i32.const 1
    i32.sub
    global.set 1)
  (func (;4;) (type 0) (param f64)
    global.get 1
    i32.eqz
    if  ;; label = @1
      unreachable
    end
    global.get 1
    i32.const 1
    i32.sub
    global.set 1)
  (func (;5;) (type 0) (param f64)
    global.get 1
    i32.eqz
    if  ;; label = @1
      unreachable
    end
    global.get 1
    i32.const 1
    i32.sub
    global.set 1)
  (table (;0;) 5 292 externref)
  (global (;0;) (mut i64) (i64.const 3192301841859280877))
  (global (;1;) (mut i32) (i32.const 1000))
  (export "2\00\11@" (func 0))
  (export "" (func 1))
  (export "2" (func 2))
  (export "3" (func 3))
  (export "4" (func 4))
  (export "5" (func 5))
  (export "6" (table 0))
  (export "7" (global 0))
  (elem (;0;) (table 0) (i32.const 2) externref)
  (elem (;1;) (table 0) (i32.const 1) externref)
  (data (;0;) "\0f\88")
  (data (;1;) "\de"))
