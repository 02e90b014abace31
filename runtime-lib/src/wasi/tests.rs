//! WASI tests: guest-memory checks and the functions against a mock
//! instance's memory.

use std::sync::{Arc, Mutex};

use waot_abi::meta::{Export, ExportKind, MemoryType, ModuleMeta};

use super::*;
use crate::testutil::mock_module;

#[test]
fn guest_memory_bounds() {
    let mut bytes = vec![0u8; 16];
    let mut mem = GuestMemory::new(&mut bytes);
    assert_eq!(mem.slice(12, 4).map(<[u8]>::len), Ok(4));
    assert_eq!(mem.slice(13, 4), Err(Errno::Fault));
    assert_eq!(mem.slice(u32::MAX, 2), Err(Errno::Fault));
    assert_eq!(mem.write_u64(9, 1), Err(Errno::Fault));
    mem.write_u32(0, 8).unwrap();
    mem.write_u32(4, 3).unwrap();
    assert_eq!(mem.iovecs(0, 1), Ok(vec![(8, 3)]));
    assert_eq!(mem.iovecs(0, 3), Err(Errno::Fault));
    assert_eq!(mem.iovecs(0, u32::MAX), Err(Errno::Fault));
}

/// A store with one instance that has a 1-page memory; returns the store
/// and the instance's VM context (the "caller" of WASI functions).
fn caller() -> (Store, *mut u8) {
    let meta = ModuleMeta {
        memories: vec![MemoryType {
            min_pages: 1,
            max_pages: None,
            memory64: false,
            shared: false,
            page_size_log2: waot_abi::WASM_PAGE_SIZE_LOG2,
        }],
        exports: vec![Export {
            name: "memory".into(),
            kind: ExportKind::Memory,
            index: 0,
        }],
        ..Default::default()
    };
    let module = mock_module(&meta, vec![]);
    let mut store = Store::new();
    let inst = store.instantiate(&module, &[]).unwrap();
    let vmctx = store.instances[inst.0 as usize].vmctx;
    (store, vmctx)
}

fn call(name: &str, w: &mut WasiCtx, vmctx: *mut u8, args: &[Val]) -> Result<Errno, Trap> {
    let (_, _, _, handler) = FUNCS.iter().find(|f| f.0 == name).unwrap();
    let lock = std::sync::Mutex::new(std::mem::take(w));
    let result = handler(
        &mut super::WasiGuard::lock(&lock),
        &mut HostContext::new(vmctx),
        &Args(args),
    );
    *w = lock.into_inner().unwrap();
    result
}

#[test]
fn args_environ_and_stdio() {
    let (_store, vmctx) = caller();
    let mut w = WasiCtx::new(vec![b"prog".to_vec(), b"x".to_vec()], vec![b"A=1".to_vec()]);
    let i = Val::I32;
    assert_eq!(
        call("args_sizes_get", &mut w, vmctx, &[i(0), i(4)]),
        Ok(Errno::Success)
    );
    let mut ctx = HostContext::new(vmctx);
    let mem = ctx.memory().unwrap();
    assert_eq!(&mem[0..8], &[2, 0, 0, 0, 7, 0, 0, 0]);
    assert_eq!(
        call("args_get", &mut w, vmctx, &[i(16), i(32)]),
        Ok(Errno::Success)
    );
    let mem = ctx.memory().unwrap();
    assert_eq!(&mem[16..24], &[32, 0, 0, 0, 37, 0, 0, 0]);
    assert_eq!(&mem[32..39], b"prog\0x\0");
    assert_eq!(
        call("environ_get", &mut w, vmctx, &[i(65534), i(64)]),
        Ok(Errno::Fault)
    );
    assert_eq!(
        call("environ_sizes_get", &mut w, vmctx, &[i(0), i(65535)]),
        Ok(Errno::Fault)
    );

    assert_eq!(
        call("fd_fdstat_get", &mut w, vmctx, &[i(1), i(100)]),
        Ok(Errno::Success)
    );
    // fd 1 is the test process's own stdout: a terminal or pipe when run by
    // hand, a regular file when CI redirects it. The reported type must match.
    let stdout_is_file = stdout_is_regular_file();
    let expected_type = if stdout_is_file { 4 } else { 2 };
    assert_eq!(
        ctx.memory().unwrap()[100],
        expected_type,
        "stdout file type"
    );
    assert_eq!(
        call("fd_fdstat_get", &mut w, vmctx, &[i(3), i(100)]),
        Ok(Errno::Badf)
    );
    assert_eq!(
        call("fd_prestat_get", &mut w, vmctx, &[i(3), i(100)]),
        Ok(Errno::Badf)
    );
    let expected_seek = if stdout_is_file {
        Errno::Success
    } else {
        Errno::Spipe
    };
    assert_eq!(
        call("fd_seek", &mut w, vmctx, &[i(1), Val::I64(0), i(1), i(0)]),
        Ok(expected_seek)
    );
    // fd_write of zero bytes to stdout through a valid iovec.
    let mem = ctx.memory().unwrap();
    mem[200..208].copy_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        call("fd_write", &mut w, vmctx, &[i(1), i(200), i(1), i(208)]),
        Ok(Errno::Success)
    );
    assert_eq!(
        call("fd_write", &mut w, vmctx, &[i(1), i(65532), i(1), i(208)]),
        Ok(Errno::Fault)
    );
    assert_eq!(
        call("fd_write", &mut w, vmctx, &[i(5), i(200), i(1), i(208)]),
        Ok(Errno::Badf)
    );
    assert_eq!(call("fd_close", &mut w, vmctx, &[i(2)]), Ok(Errno::Success));
    assert_eq!(call("fd_close", &mut w, vmctx, &[i(2)]), Ok(Errno::Badf));

    assert_eq!(
        call(
            "clock_time_get",
            &mut w,
            vmctx,
            &[i(1), Val::I64(0), i(300)]
        ),
        Ok(Errno::Success)
    );
    assert_eq!(
        call(
            "clock_time_get",
            &mut w,
            vmctx,
            &[i(9), Val::I64(0), i(300)]
        ),
        Ok(Errno::Inval)
    );
    assert_eq!(
        call("random_get", &mut w, vmctx, &[i(400), i(64)]),
        Ok(Errno::Success)
    );
    assert_eq!(
        call("random_get", &mut w, vmctx, &[i(65535), i(2)]),
        Ok(Errno::Fault)
    );
    let exit = call("proc_exit", &mut w, vmctx, &[i(7)]).unwrap_err();
    assert_eq!(exit.exit_code(), Some(7));
    // Without a caller memory: a trap, not a panic.
    assert!(call("args_get", &mut w, std::ptr::null_mut(), &[i(0), i(0)]).is_err());
}

#[test]
fn unknown_wasi_import_is_a_link_error() {
    use waot_abi::meta::{ExternType, FuncType, Import};
    let meta = ModuleMeta {
        types: vec![FuncType::default()],
        imports: vec![Import {
            module: MODULE_NAME.into(),
            name: "path_open_v9".into(),
            ty: ExternType::Func(0),
        }],
        funcs: vec![0],
        ..Default::default()
    };
    let module = mock_module(&meta, vec![]);
    let mut store = Store::new();
    let err = imports(&mut store, &module, WasiCtx::default()).unwrap_err();
    assert_eq!(
        err,
        InstantiateError::Link("unknown import: wasi_snapshot_preview1::path_open_v9".into())
    );
    let ctx = Arc::new(Mutex::new(WasiCtx::default()));
    let f = define(&mut store, "fd_write", &ctx).unwrap();
    assert_eq!(store.func_type(f).params.len(), 4);
}

/// Whether this process's stdout is a regular file (e.g. redirected by CI).
fn stdout_is_regular_file() -> bool {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes a `stat` into the buffer on success.
    let ok = unsafe { libc::fstat(1, st.as_mut_ptr()) } == 0;
    // SAFETY: initialized by the successful fstat above.
    ok && unsafe { st.assume_init() }.st_mode & libc::S_IFMT == libc::S_IFREG
}

/// `sock_*` errnos and flags on a datagram socketpair and a regular file.
#[test]
fn sockets() {
    use super::fd_table::{filetype, rights, Entry};
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixDatagram;

    let (_store, vmctx) = caller();
    let i = Val::I32;
    let mut w = WasiCtx::default();
    let (a, b) = UnixDatagram::pair().unwrap();
    let sock = |fd: UnixDatagram, r| Entry::owned(OwnedFd::from(fd), filetype::SOCKET_DGRAM, r, 0);
    let fa = w.fds.insert(sock(a, rights::SOCKET)).unwrap();
    let fb = w
        .fds
        .insert(sock(b, rights::SOCKET & !rights::SOCK_SHUTDOWN))
        .unwrap();
    let file = tempfile_entry();
    let ff = w.fds.insert(file).unwrap();
    let mut ctx = HostContext::new(vmctx);
    // iovec @0 -> "hello" @64 (5 bytes); recv iovec @8 -> @128 (3 bytes).
    let mem = ctx.memory().unwrap();
    mem[0..8].copy_from_slice(&[64, 0, 0, 0, 5, 0, 0, 0]);
    mem[8..16].copy_from_slice(&[128, 0, 0, 0, 3, 0, 0, 0]);
    mem[64..69].copy_from_slice(b"hello");
    let send = |w: &mut WasiCtx, fd, flags| {
        call(
            "sock_send",
            w,
            vmctx,
            &[i(fd), i(0), i(1), i(flags), i(200)],
        )
    };
    let recv = |w: &mut WasiCtx, fd, flags| {
        call(
            "sock_recv",
            w,
            vmctx,
            &[i(fd), i(8), i(1), i(flags), i(204), i(208)],
        )
    };
    assert_eq!(
        send(&mut w, fa as i32, 1),
        Ok(Errno::Inval),
        "siflags must be 0"
    );
    assert_eq!(send(&mut w, fa as i32, 0), Ok(Errno::Success));
    // Peek 3 of 5 bytes: truncated, data stays.
    assert_eq!(recv(&mut w, fb as i32, 1), Ok(Errno::Success));
    let mem = ctx.memory().unwrap();
    assert_eq!(&mem[128..131], b"hel");
    assert_eq!(&mem[204..208], &3u32.to_le_bytes());
    assert_eq!(&mem[208..210], &1u16.to_le_bytes(), "recv_data_truncated");
    assert_eq!(recv(&mut w, fb as i32, 0), Ok(Errno::Success));
    assert_eq!(ctx.memory().unwrap()[208], 1);
    assert_eq!(
        recv(&mut w, fb as i32, 4),
        Ok(Errno::Inval),
        "unknown riflags"
    );
    // Shutdown: bad `how`, missing right, not a socket, not open.
    let shut = |w: &mut WasiCtx, fd, how| call("sock_shutdown", w, vmctx, &[i(fd), i(how)]);
    assert_eq!(shut(&mut w, fa as i32, 0), Ok(Errno::Inval));
    assert_eq!(shut(&mut w, fa as i32, 4), Ok(Errno::Inval));
    assert_eq!(shut(&mut w, fb as i32, 3), Ok(Errno::Notcapable));
    assert_eq!(shut(&mut w, ff as i32, 3), Ok(Errno::Notsock));
    assert_eq!(shut(&mut w, 99, 3), Ok(Errno::Badf));
    assert_eq!(send(&mut w, ff as i32, 0), Ok(Errno::Notsock));
    assert_eq!(recv(&mut w, ff as i32, 0), Ok(Errno::Notsock));
    let accept =
        |w: &mut WasiCtx, fd, flags| call("sock_accept", w, vmctx, &[i(fd), i(flags), i(300)]);
    assert_eq!(accept(&mut w, ff as i32, 0), Ok(Errno::Notsock));
    assert_eq!(
        accept(&mut w, fa as i32, 1),
        Ok(Errno::Inval),
        "only fdflags::nonblock"
    );
    // A datagram socket does not accept (the host's EOPNOTSUPP).
    assert_eq!(accept(&mut w, fa as i32, 0), Ok(Errno::Notsup));
    // A dropped FD_WRITE right: sock_send is refused like fd_write.
    assert_eq!(
        call(
            "fd_fdstat_set_rights",
            &mut w,
            vmctx,
            &[
                i(fa as i32),
                Val::I64((rights::SOCKET & !rights::FD_WRITE) as i64),
                Val::I64(0)
            ]
        ),
        Ok(Errno::Success)
    );
    assert_eq!(send(&mut w, fa as i32, 0), Ok(Errno::Badf));
    assert_eq!(shut(&mut w, fa as i32, 2), Ok(Errno::Success));
}

/// A regular file (an unlinked temp file) as a guest fd entry.
fn tempfile_entry() -> super::fd_table::Entry {
    use super::fd_table::{filetype, rights, Entry};
    let path = std::env::temp_dir().join(format!("waot-sock-{}", std::process::id()));
    let f = std::fs::File::create(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    Entry::owned(f.into(), filetype::REGULAR_FILE, rights::FILE, 0)
}

#[test]
fn proc_raise_errors() {
    let (_store, vmctx) = caller();
    let mut w = WasiCtx::default();
    let raise = |w: &mut WasiCtx, sig| call("proc_raise", w, vmctx, &[Val::I32(sig)]);
    assert_eq!(raise(&mut w, 0), Ok(Errno::Success), "signal 0: none");
    assert_eq!(raise(&mut w, 31), Ok(Errno::Inval));
    assert_eq!(raise(&mut w, -1), Ok(Errno::Inval));
    // SIGURG's default action is to ignore it.
    assert_eq!(raise(&mut w, 22), Ok(Errno::Success));
}
