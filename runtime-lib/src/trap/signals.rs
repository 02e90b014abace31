//! Signal handling: turning hardware faults in wasm code into traps.
//!
//! Handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE are installed once per
//! process; each thread gets an alternate signal stack the first time it
//! enters wasm (a stack overflow in wasm code must still be able to run the
//! handler). In the handler:
//!
//! - if this thread is running wasm (an entry's save area is active) and the
//!   pc is in registered wasm code, record the signal, pc, fault address and
//!   the wasm frames (see [`super::backtrace`]), and rewrite the context to
//!   resume at `waot_rt_unwind(buf)`;
//! - otherwise the fault is not ours: put the previous handler back and
//!   return, so the faulting instruction runs again and the fault reaches
//!   whoever handled it before (or kills the process, as it should).

use std::cell::{Cell, RefCell};
use std::mem::MaybeUninit;
use std::sync::{Once, OnceLock};

use super::backtrace;
use super::registry::{self, CodeKind};
use super::unwind::{waot_rt_unwind, JmpBuf, TrapRecord, CALL_STATE, JMPBUF_SP};
use crate::sys::{Mmap, Prot};

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// Size of each thread's alternate signal stack.
const ALT_STACK_BYTES: usize = 64 * 1024;

/// Stack kept free below the wasm stack limit for host functions, builtins
/// and the runtime.
pub const STACK_MARGIN_BYTES: usize = 256 * 1024;

static PREVIOUS: OnceLock<[libc::sigaction; 4]> = OnceLock::new();
static INSTALL: Once = Once::new();

/// Installs the process-wide handlers (once) and this thread's alternate
/// stack (once per thread).
pub fn init() {
    INSTALL.call_once(install_handlers);
    // The handler may only read the cached bounds (computing them
    // allocates); make sure they are known before wasm runs.
    thread_stack_bounds();
    ALT_STACK.with(|a| {
        if a.borrow().is_none() {
            *a.borrow_mut() = Some(AltStack::install());
        }
    });
}

fn install_handlers() {
    let mut prev = [zeroed_sigaction(); 4];
    for (i, &sig) in SIGNALS.iter().enumerate() {
        let mut sa = zeroed_sigaction();
        sa.sa_sigaction = handler as *const () as usize;
        // SA_SIGINFO: we need the fault address and the context to rewrite.
        // SA_ONSTACK: a wasm stack overflow leaves no room on the main stack.
        // SA_NODEFER: after we redirect to `waot_rt_unwind` the handler
        // "returns" through sigreturn, which restores the mask anyway; not
        // deferring keeps a fault during the handler itself fatal, not hung.
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
        // SAFETY: `sa` is fully initialized; `prev[i]` is valid for writes.
        unsafe {
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, &mut prev[i]);
        }
    }
    let _ = PREVIOUS.set(prev);
}

fn zeroed_sigaction() -> libc::sigaction {
    // SAFETY: sigaction is a plain C struct for which all-zero is valid
    // (SIG_DFL, empty mask, no flags).
    unsafe { MaybeUninit::<libc::sigaction>::zeroed().assume_init() }
}

/// An alternate signal stack owned by the thread; removed at thread exit.
struct AltStack {
    map: Option<Mmap>,
}

impl AltStack {
    fn install() -> AltStack {
        // Keep an existing stack that is large enough (e.g. the one Rust's
        // std installs for its own stack-overflow reporting).
        let mut old = MaybeUninit::<libc::stack_t>::zeroed();
        // SAFETY: querying only; `old` is valid for writes.
        let r = unsafe { libc::sigaltstack(std::ptr::null(), old.as_mut_ptr()) };
        // SAFETY: sigaltstack filled it in (or it is still zeroed).
        let old = unsafe { old.assume_init() };
        if r == 0 && old.ss_flags & libc::SS_DISABLE == 0 && old.ss_size >= ALT_STACK_BYTES {
            return AltStack { map: None };
        }
        let guard = crate::sys::page_size();
        let Ok(map) = Mmap::new(ALT_STACK_BYTES + guard, Prot::None) else {
            return AltStack { map: None };
        };
        if map
            .protect(guard, ALT_STACK_BYTES, Prot::ReadWrite)
            .is_err()
        {
            return AltStack { map: None };
        }
        let st = libc::stack_t {
            // SAFETY: `guard` is inside the mapping.
            ss_sp: unsafe { map.as_ptr().add(guard) }.cast(),
            ss_flags: 0,
            ss_size: ALT_STACK_BYTES,
        };
        // SAFETY: `st` describes memory this value owns until drop.
        if unsafe { libc::sigaltstack(&st, std::ptr::null_mut()) } != 0 {
            return AltStack { map: None };
        }
        AltStack { map: Some(map) }
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        let Some(map) = &self.map else { return };
        let mut cur = MaybeUninit::<libc::stack_t>::zeroed();
        // SAFETY: querying only.
        unsafe { libc::sigaltstack(std::ptr::null(), cur.as_mut_ptr()) };
        // SAFETY: initialized by sigaltstack or still zeroed.
        let cur = unsafe { cur.assume_init() };
        let ours = cur.ss_sp as usize == map.as_ptr() as usize + crate::sys::page_size();
        if ours {
            let st = libc::stack_t {
                ss_sp: std::ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: disabling the stack we installed before unmapping it.
            unsafe { libc::sigaltstack(&st, std::ptr::null_mut()) };
        }
    }
}

thread_local! {
    static ALT_STACK: RefCell<Option<AltStack>> = const { RefCell::new(None) };
    static STACK_BOUNDS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// `[low, high)` of this thread's stack, from `pthread_getattr_np`.
pub fn thread_stack_bounds() -> (usize, usize) {
    let cached = STACK_BOUNDS.with(|b| b.get());
    if cached.1 != 0 {
        return cached;
    }
    let mut attr = MaybeUninit::<libc::pthread_attr_t>::zeroed();
    let mut addr: *mut libc::c_void = std::ptr::null_mut();
    let mut size: libc::size_t = 0;
    // SAFETY: `attr` is initialized by pthread_getattr_np before use and
    // destroyed after.
    let ok = unsafe {
        libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) == 0 && {
            let r = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size);
            libc::pthread_attr_destroy(attr.as_mut_ptr());
            r == 0
        }
    };
    let bounds = if ok {
        (addr as usize, addr as usize + size)
    } else {
        (0, 0)
    };
    STACK_BOUNDS.with(|b| b.set(bounds));
    bounds
}

/// The wasm stack limit for this thread: its lowest stack address plus
/// [`STACK_MARGIN_BYTES`] (0 when the bounds are unknown: no check).
pub fn thread_stack_limit() -> usize {
    match thread_stack_bounds() {
        (0, _) => 0,
        (low, _) => low + STACK_MARGIN_BYTES,
    }
}

unsafe extern "C" fn handler(
    signo: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    let buf = CALL_STATE.with(|s| s.buf.get());
    // SAFETY: the kernel passes a valid ucontext_t for SA_SIGINFO handlers.
    let uc = unsafe { &mut *context.cast::<libc::ucontext_t>() };
    let pc = context_pc(uc);
    let walked = if buf.is_null() {
        None
    } else {
        let (fp, sp) = context_fp_sp(uc);
        // Only the cached bounds: computing them is not async-signal-safe.
        let stack = STACK_BOUNDS.with(|b| b.get());
        registry::with_code(|code| {
            (code.kind(pc) != CodeKind::NotWasm).then(|| backtrace::walk(&code, pc, fp, sp, stack))
        })
        .flatten()
    };
    if let Some(backtrace) = walked {
        // SAFETY: `info` is valid for SA_SIGINFO handlers.
        let fault_addr = unsafe { (*info).si_addr() } as usize;
        CALL_STATE.with(|s| {
            s.record.set(TrapRecord {
                signo,
                pc,
                fault_addr,
            });
            s.backtrace.set(backtrace);
        });
        // SAFETY: `buf` is the save area of the active entry on this thread.
        let sp = unsafe { (*buf).0[JMPBUF_SP] } as usize;
        redirect(uc, waot_rt_unwind as *const () as usize, buf, sp);
        return;
    }
    // Not a wasm trap: restore the previous disposition and let the
    // instruction fault again.
    let Some(prev) = PREVIOUS.get() else { return };
    if let Some(i) = SIGNALS.iter().position(|&s| s == signo) {
        // SAFETY: `prev[i]` is the action that was installed before ours.
        unsafe { libc::sigaction(signo, &prev[i], std::ptr::null_mut()) };
    }
}

#[cfg(target_arch = "x86_64")]
fn context_pc(uc: &libc::ucontext_t) -> usize {
    uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize
}

/// The frame pointer (rbp) and stack pointer of the interrupted context.
#[cfg(target_arch = "x86_64")]
fn context_fp_sp(uc: &libc::ucontext_t) -> (usize, usize) {
    let g = &uc.uc_mcontext.gregs;
    (
        g[libc::REG_RBP as usize] as usize,
        g[libc::REG_RSP as usize] as usize,
    )
}

#[cfg(target_arch = "x86_64")]
fn redirect(uc: &mut libc::ucontext_t, pc: usize, buf: *mut JmpBuf, sp: usize) {
    let g = &mut uc.uc_mcontext.gregs;
    g[libc::REG_RIP as usize] = pc as i64;
    g[libc::REG_RDI as usize] = buf as i64;
    // Any valid stack works: `waot_rt_unwind` switches to the saved one first.
    g[libc::REG_RSP as usize] = (sp & !15) as i64 - 8;
}

#[cfg(target_arch = "aarch64")]
fn context_pc(uc: &libc::ucontext_t) -> usize {
    uc.uc_mcontext.pc as usize
}

/// The frame pointer (x29) and stack pointer of the interrupted context.
#[cfg(target_arch = "aarch64")]
fn context_fp_sp(uc: &libc::ucontext_t) -> (usize, usize) {
    (uc.uc_mcontext.regs[29] as usize, uc.uc_mcontext.sp as usize)
}

#[cfg(target_arch = "aarch64")]
fn redirect(uc: &mut libc::ucontext_t, pc: usize, buf: *mut JmpBuf, sp: usize) {
    uc.uc_mcontext.pc = pc as u64;
    uc.uc_mcontext.regs[0] = buf as u64;
    uc.uc_mcontext.sp = (sp & !15) as u64;
}
