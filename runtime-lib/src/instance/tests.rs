//! Instantiation tests with mock modules: metadata built in Rust, and for
//! calls/traps a few bytes of hand-assembled x86_64 standing in for
//! generated code (Lucet's `mock.rs` idea).

use waot_abi::meta::*;
use waot_abi::trap::TrapKind;
use waot_abi::vmctx::VmOffsets;

use crate::testutil::mock_module;
use crate::{Extern, InstantiateError, Store, Val};

fn mem_ty(min: u64, max: Option<u64>) -> MemoryType {
    MemoryType {
        min_pages: min,
        max_pages: max,
        memory64: false,
        shared: false,
        page_size_log2: waot_abi::WASM_PAGE_SIZE_LOG2,
    }
}

fn table_ty(min: u64, max: Option<u64>) -> TableType {
    TableType {
        element: ValType::FuncRef,
        min,
        max,
        table64: false,
    }
}

fn import(name: &str, ty: ExternType) -> Import {
    Import {
        module: "env".into(),
        name: name.into(),
        ty,
    }
}

fn export(name: &str, kind: ExportKind, index: u32) -> Export {
    Export {
        name: name.into(),
        kind,
        index,
    }
}

const I32_GLOBAL: GlobalType = GlobalType {
    ty: ValType::I32,
    mutable: false,
};

#[test]
fn globals_memory_and_data() {
    let data = b"hello";
    let meta = ModuleMeta {
        imports: vec![import("base", ExternType::Global(I32_GLOBAL))],
        memories: vec![mem_ty(1, Some(2))],
        globals: vec![GlobalDef {
            ty: GlobalType {
                ty: ValType::I32,
                mutable: true,
            },
            init: vec![ConstOp::GlobalGet(0), ConstOp::I32(2), ConstOp::I32Add],
        }],
        exports: vec![
            export("mem", ExportKind::Memory, 0),
            export("g", ExportKind::Global, 1),
            export("base", ExportKind::Global, 0),
        ],
        datas: vec![DataSegment {
            mode: SegmentMode::Active {
                index: 0,
                offset: vec![ConstOp::GlobalGet(0)],
            },
            bytes: data,
        }],
        ..Default::default()
    };
    let module = mock_module(&meta, vec![]);
    let mut store = Store::new();
    let base = store.new_global(I32_GLOBAL, Val::I32(100)).unwrap();
    let inst = store.instantiate(&module, &[Extern::Global(base)]).unwrap();
    let Some(Extern::Memory(mem)) = store.get_export(inst, "mem") else {
        panic!("no memory export")
    };
    assert_eq!(&store.memory_data(mem)[100..105], b"hello");
    let Some(Extern::Global(g)) = store.get_export(inst, "g") else {
        panic!("no global export")
    };
    assert_eq!(store.global_get(g), Val::I32(102));
    store.global_set(g, Val::I32(7)).unwrap();
    assert_eq!(store.global_get(g), Val::I32(7));
    assert!(store.global_set(base, Val::I32(1)).is_err());
    assert_eq!(store.get_export(inst, "base"), Some(Extern::Global(base)));
    assert_eq!(store.memory_grow(mem, 1), Some(1));
    assert_eq!(store.memory_grow(mem, 1), None);
    assert_eq!(store.exports(inst).len(), 3);
}

#[test]
fn import_matching() {
    let meta = ModuleMeta {
        types: vec![FuncType {
            params: vec![ValType::I32],
            results: vec![],
        }],
        imports: vec![
            import("f", ExternType::Func(0)),
            import("m", ExternType::Memory(mem_ty(1, Some(4)))),
            import("t", ExternType::Table(table_ty(2, None))),
            import("g", ExternType::Global(I32_GLOBAL)),
        ],
        funcs: vec![0],
        ..Default::default()
    };
    let module = mock_module(&meta, vec![]);
    let mut store = Store::new();
    let f = store.host_func(meta.types[0].clone(), Box::new(|_, _, _| Ok(())));
    let wrong_f = store.host_func(FuncType::default(), Box::new(|_, _, _| Ok(())));
    let m = store.new_memory(mem_ty(1, Some(3))).unwrap();
    let m_nomax = store.new_memory(mem_ty(1, None)).unwrap();
    let m_small = store.new_memory(mem_ty(0, Some(1))).unwrap();
    let t = store
        .new_table(table_ty(3, Some(10)), Val::FuncRef(None))
        .unwrap();
    let t_small = store
        .new_table(table_ty(1, None), Val::FuncRef(None))
        .unwrap();
    let g = store.new_global(I32_GLOBAL, Val::I32(0)).unwrap();
    let g_mut = store
        .new_global(
            GlobalType {
                ty: ValType::I32,
                mutable: true,
            },
            Val::I32(0),
        )
        .unwrap();
    use Extern as E;
    let good = [E::Func(f), E::Memory(m), E::Table(t), E::Global(g)];
    store.instantiate(&module, &good).unwrap();
    let cases: [[Extern; 4]; 7] = [
        [E::Func(wrong_f), E::Memory(m), E::Table(t), E::Global(g)],
        [E::Func(f), E::Memory(m_nomax), E::Table(t), E::Global(g)],
        [E::Func(f), E::Memory(m_small), E::Table(t), E::Global(g)],
        [E::Func(f), E::Memory(m), E::Table(t_small), E::Global(g)],
        [E::Func(f), E::Memory(m), E::Table(t), E::Global(g_mut)],
        [E::Global(g), E::Memory(m), E::Table(t), E::Global(g)],
        [E::Func(f), E::Table(t), E::Table(t), E::Global(g)],
    ];
    for imports in cases {
        match store.instantiate(&module, &imports) {
            Err(InstantiateError::Link(msg)) => {
                assert!(msg.starts_with("incompatible import type"), "{msg}")
            }
            other => panic!("expected a link error, got {other:?}"),
        }
    }
    let err = store.resolve_imports(&module, |_, n| (n == "f").then_some(E::Func(f)));
    assert_eq!(
        err.unwrap_err(),
        InstantiateError::Link("unknown import: env::m".into())
    );
    // Import matching uses the current size: after growing to 1 page,
    // `m_small` (max 1) satisfies min 1 / max 4.
    assert_eq!(store.memory_grow(m_small, 1), Some(0));
    let grown = [E::Func(f), E::Memory(m_small), E::Table(t), E::Global(g)];
    store.instantiate(&module, &grown).unwrap();
}

#[test]
fn failing_segments_keep_earlier_effects() {
    let meta = ModuleMeta {
        types: vec![FuncType::default()],
        imports: vec![
            import("m", ExternType::Memory(mem_ty(1, None))),
            import("t", ExternType::Table(table_ty(2, None))),
        ],
        funcs: vec![0],
        elems: vec![
            ElemSegment {
                mode: SegmentMode::Active {
                    index: 0,
                    offset: vec![ConstOp::I32(1)],
                },
                element: ValType::FuncRef,
                items: vec![vec![ConstOp::RefFunc(0)]],
            },
            ElemSegment {
                mode: SegmentMode::Active {
                    index: 0,
                    offset: vec![ConstOp::I32(2)],
                },
                element: ValType::FuncRef,
                items: vec![vec![ConstOp::RefNull]],
            },
        ],
        datas: vec![DataSegment {
            mode: SegmentMode::Active {
                index: 0,
                offset: vec![ConstOp::I32(0)],
            },
            bytes: b"x",
        }],
        ..Default::default()
    };
    let module = mock_module(&meta, vec![]);
    let mut store = Store::new();
    let m = store.new_memory(mem_ty(1, None)).unwrap();
    let t = store
        .new_table(table_ty(2, None), Val::FuncRef(None))
        .unwrap();
    let err = store
        .instantiate(&module, &[Extern::Memory(m), Extern::Table(t)])
        .unwrap_err();
    match err {
        InstantiateError::Trap(t) => assert_eq!(t.kind, TrapKind::TableOutOfBounds),
        other => panic!("{other:?}"),
    }
    let Some(Val::FuncRef(Some(f))) = store.table_get(t, 1) else {
        panic!("first segment not applied")
    };
    assert_eq!(store.func_type(f), FuncType::default());
    assert_eq!(
        store.memory_data(m)[0],
        0,
        "data segments come after elements"
    );
}

/// Calls builtin `b` of the table with the given signature.
macro_rules! builtin {
    ($b:ident: fn($($t:ty),*) -> $r:ty) => {{
        let p = crate::builtins::TABLE[waot_abi::builtins::Builtin::$b as usize];
        // Used inside `unsafe` blocks only: the table entry has this
        // signature (waot_abi::builtins).
        std::mem::transmute::<*const u8, unsafe extern "C" fn(*mut u8, $($t),*) -> $r>(p)
    }};
}

#[test]
fn bulk_builtins() {
    let meta = ModuleMeta {
        types: vec![FuncType::default()],
        funcs: vec![0, 0],
        memories: vec![mem_ty(1, Some(2))],
        tables: vec![TableDef {
            ty: table_ty(4, Some(6)),
            init: None,
        }],
        datas: vec![DataSegment {
            mode: SegmentMode::Passive,
            bytes: b"abcd",
        }],
        elems: vec![ElemSegment {
            mode: SegmentMode::Passive,
            element: ValType::FuncRef,
            items: vec![vec![ConstOp::RefFunc(1)], vec![ConstOp::RefNull]],
        }],
        exports: vec![
            export("mem", ExportKind::Memory, 0),
            export("t", ExportKind::Table, 0),
        ],
        ..Default::default()
    };
    let module = mock_module(&meta, vec![]);
    let mut store = Store::new();
    let inst = store.instantiate(&module, &[]).unwrap();
    let vmctx = store.instances[inst.0 as usize].vmctx;
    let Some(Extern::Memory(mem)) = store.get_export(inst, "mem") else {
        panic!()
    };
    let Some(Extern::Table(t)) = store.get_export(inst, "t") else {
        panic!()
    };
    // SAFETY (all calls below): `vmctx` is a live instance's VM context.
    unsafe {
        let init = builtin!(MemoryInit: fn(u32, u32, u64, u64, u64) -> u32);
        assert_eq!(init(vmctx, 0, 0, 10, 1, 3), 0);
        assert_eq!(init(vmctx, 0, 0, 10, 2, 3), 1);
        assert_eq!(init(vmctx, 0, 0, 65535, 0, 2), 1);
        let copy = builtin!(MemoryCopy: fn(u32, u32, u64, u64, u64) -> u32);
        assert_eq!(copy(vmctx, 0, 0, 11, 10, 3), 0);
        let fill = builtin!(MemoryFill: fn(u32, u64, u32, u64) -> u32);
        assert_eq!(fill(vmctx, 0, 20, 0x41, 2), 0);
        assert_eq!(fill(vmctx, 0, 65536, 0x41, 1), 1);
        assert_eq!(fill(vmctx, 0, 65536, 0x41, 0), 0);
        assert_eq!(&store.memory_data(mem)[10..22], b"bbcd\0\0\0\0\0\0AA");
        builtin!(DataDrop: fn(u32) -> ())(vmctx, 0);
        assert_eq!(init(vmctx, 0, 0, 0, 0, 1), 1);
        assert_eq!(init(vmctx, 0, 0, 0, 0, 0), 0);
        let grow = builtin!(MemoryGrow: fn(u32, u64) -> u64);
        assert_eq!(grow(vmctx, 0, 1), 1);
        assert_eq!(grow(vmctx, 0, 1), u64::MAX);
        assert_eq!(store.memory_data(mem).len(), 2 * 65536);

        let tinit = builtin!(TableInit: fn(u32, u32, u64, u64, u64) -> u32);
        assert_eq!(tinit(vmctx, 0, 0, 1, 0, 2), 0);
        assert_eq!(tinit(vmctx, 0, 0, 3, 0, 2), 1);
        let Some(Val::FuncRef(Some(_))) = store.table_get(t, 1) else {
            panic!()
        };
        let tcopy = builtin!(TableCopy: fn(u32, u32, u64, u64, u64) -> u32);
        assert_eq!(tcopy(vmctx, 0, 0, 2, 1, 2), 0);
        assert_eq!(store.table_get(t, 2), store.table_get(t, 1));
        let tgrow = builtin!(TableGrow: fn(u32, u64, u64) -> u64);
        assert_eq!(tgrow(vmctx, 0, 0, 2), 4);
        assert_eq!(tgrow(vmctx, 0, 0, 1), u64::MAX);
        let tfill = builtin!(TableFill: fn(u32, u64, u64, u64) -> u32);
        assert_eq!(tfill(vmctx, 0, 0, 0, 6), 0);
        assert_eq!(tfill(vmctx, 0, 5, 0, 2), 1);
        builtin!(ElemDrop: fn(u32) -> ())(vmctx, 0);
        assert_eq!(tinit(vmctx, 0, 0, 0, 0, 1), 1);
        // Bad indices fail instead of panicking across `extern "C"`.
        assert_eq!(fill(vmctx, 9, 0, 0, 0), 1);
        assert_eq!(grow(vmctx, 9, 0), u64::MAX);
    }
    assert_eq!(store.table_size(t), 6);
    let off = VmOffsets::new(module.meta().vm_counts());
    assert!(off.size > 0);
}

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use super::*;
    use crate::sys::{Mmap, Prot};
    use waot_abi::trap::memory_oob_code;

    /// Hand-assembled x86_64 stand-ins for generated code, at fixed offsets of
    /// one executable page:
    /// - 0:  `ud2` (a function that traps: "unreachable")
    /// - 16: `mov rax, [rcx]; mov eax, [rax]; ret` (loads 4 bytes at values[0])
    /// - 32: `mov rax, [rcx]; add rax, 1; mov [rcx], rax; ret` (values[0] += 1)
    /// - 48: `jmp rdi` (array trampoline: tail-jumps to native_fn)
    fn mock_code() -> Mmap {
        let map = Mmap::new(4096, Prot::ReadWrite).unwrap();
        let pieces: [(usize, &[u8]); 4] = [
            (0, &[0x0f, 0x0b]),
            (16, &[0x48, 0x8b, 0x01, 0x8b, 0x00, 0xc3]),
            (
                32,
                &[
                    0x48, 0x8b, 0x01, 0x48, 0x83, 0xc0, 0x01, 0x48, 0x89, 0x01, 0xc3,
                ],
            ),
            (48, &[0xff, 0xe7]),
        ];
        for (off, bytes) in pieces {
            // SAFETY: inside the fresh, writable mapping.
            unsafe {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), map.as_ptr().add(off), bytes.len())
            };
        }
        map.protect(0, 4096, Prot::ReadExec).unwrap();
        map
    }

    #[test]
    fn calls_and_traps() {
        let code = Box::leak(Box::new(mock_code()));
        let at = |off: usize| code.as_ptr().wrapping_add(off) as *const u8;
        let i64_to_unit = FuncType {
            params: vec![ValType::I64],
            results: vec![],
        };
        let i64_to_i64 = FuncType {
            params: vec![ValType::I64],
            results: vec![ValType::I64],
        };
        let meta = ModuleMeta {
            types: vec![FuncType::default(), i64_to_unit, i64_to_i64],
            funcs: vec![0, 1, 2],
            memories: vec![mem_ty(1, None)],
            exports: vec![
                export("boom", ExportKind::Func, 0),
                export("load", ExportKind::Func, 1),
                export("inc", ExportKind::Func, 2),
                export("mem", ExportKind::Memory, 0),
            ],
            func_names: vec![(0, "boom".into())],
            code_sizes: vec![2, 6, 11, 2, 2, 2, 1, 1, 1],
            traps: vec![
                TrapSite {
                    defined_func: 0,
                    code_offset: 0,
                    code: TrapKind::Unreachable as u8,
                },
                TrapSite {
                    defined_func: 1,
                    code_offset: 3,
                    code: memory_oob_code(4),
                },
            ],
            ..Default::default()
        };
        let tramp = at(48);
        let module = mock_module(&meta, vec![at(0), at(16), at(32), tramp, tramp, tramp]);
        let mut store = Store::new();
        let inst = store.instantiate(&module, &[]).unwrap();
        let func = |store: &Store, name| match store.get_export(inst, name) {
            Some(Extern::Func(f)) => f,
            _ => panic!("no export {name}"),
        };
        let (boom, load, inc) = (
            func(&store, "boom"),
            func(&store, "load"),
            func(&store, "inc"),
        );
        let Some(Extern::Memory(mem)) = store.get_export(inst, "mem") else {
            panic!()
        };
        let base = store.memory_data(mem).as_ptr() as i64;

        assert_eq!(
            store.call(inc, &[Val::I64(41)]).unwrap(),
            vec![Val::I64(42)]
        );

        let trap = store.call(boom, &[]).unwrap_err();
        assert_eq!(trap.kind, TrapKind::Unreachable);
        assert_eq!(trap.func_index, Some(0));
        assert_eq!(trap.func_name.as_deref(), Some("boom"));

        store.memory_data(mem)[8] = 5;
        assert_eq!(store.call(load, &[Val::I64(base + 8)]).unwrap(), vec![]);
        let trap = store.call(load, &[Val::I64(base + 0x10010)]).unwrap_err();
        assert_eq!(trap.kind, TrapKind::MemoryOutOfBounds);
        assert_eq!(trap.func_index, Some(1));
        let access = trap.memory_access.unwrap();
        assert_eq!(access.address, 0x10010);
        assert_eq!(access.access_bytes, Some(4));
        assert_eq!(access.memory_bytes, 0x10000);

        // Still usable after traps, and arguments are type-checked.
        assert_eq!(store.call(inc, &[Val::I64(1)]).unwrap(), vec![Val::I64(2)]);
        assert_eq!(
            store.call(inc, &[Val::I32(1)]).unwrap_err().kind,
            TrapKind::HostTrap
        );
    }
}
