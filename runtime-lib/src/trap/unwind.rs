//! Entering wasm and leaving it abnormally.
//!
//! `waot_rt_call_catching(buf, trampoline, native_fn, callee_vmctx,
//! caller_vmctx, values) -> u32` saves the callee-saved registers, the stack
//! pointer and (implicitly) its return address in `buf`, then calls the
//! array-call trampoline. A normal return yields 0. When wasm code traps, the
//! signal handler rewrites the interrupted context to resume at
//! `waot_rt_unwind(buf)`, which restores the registers saved in `buf` and
//! returns 1 from `waot_rt_call_catching`, discarding every wasm frame in
//! between. Only wasm frames are discarded: host code called from wasm
//! always returns normally, and nested host-to-wasm calls have their own `buf`.
//!
//! This is `setjmp`/`longjmp` without the signal-mask syscalls: the kernel
//! restores the mask when the handler returns.

use std::cell::Cell;

use waot_abi::vmctx::ValRaw;

use super::backtrace::RawBacktrace;

/// Register save area of one host-to-wasm entry.
#[repr(C, align(16))]
#[derive(Debug, Default)]
pub struct JmpBuf(pub [u64; 20]);

/// Index in [`JmpBuf`] of the saved stack pointer.
#[cfg(target_arch = "x86_64")]
pub const JMPBUF_SP: usize = 6;
/// Index in [`JmpBuf`] of the saved stack pointer.
#[cfg(target_arch = "aarch64")]
pub const JMPBUF_SP: usize = 18;

#[cfg(target_arch = "x86_64")]
std::arch::global_asm!(
    ".text",
    ".globl waot_rt_call_catching",
    ".type waot_rt_call_catching,@function",
    "waot_rt_call_catching:",
    ".cfi_startproc",
    "push rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset rbp, -16",
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    "mov [rdi], rbx",
    "mov [rdi + 8], rbp",
    "mov [rdi + 16], r12",
    "mov [rdi + 24], r13",
    "mov [rdi + 32], r14",
    "mov [rdi + 40], r15",
    "mov [rdi + 48], rsp",
    "mov rax, rsi",
    "mov rdi, rdx",
    "mov rsi, rcx",
    "mov rdx, r8",
    "mov rcx, r9",
    "call rax",
    "xor eax, eax",
    "pop rbp",
    ".cfi_def_cfa rsp, 8",
    "ret",
    ".cfi_endproc",
    ".size waot_rt_call_catching, . - waot_rt_call_catching",
    "",
    ".globl waot_rt_unwind",
    ".type waot_rt_unwind,@function",
    "waot_rt_unwind:",
    "mov rbx, [rdi]",
    "mov r12, [rdi + 16]",
    "mov r13, [rdi + 24]",
    "mov r14, [rdi + 32]",
    "mov r15, [rdi + 40]",
    "mov rsp, [rdi + 48]",
    "mov eax, 1",
    "pop rbp",
    "ret",
    ".size waot_rt_unwind, . - waot_rt_unwind",
);

#[cfg(target_arch = "aarch64")]
std::arch::global_asm!(
    ".text",
    ".globl waot_rt_call_catching",
    ".type waot_rt_call_catching,%function",
    "waot_rt_call_catching:",
    ".cfi_startproc",
    "stp x29, x30, [sp, #-16]!",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset x29, -16",
    ".cfi_offset x30, -8",
    "mov x29, sp",
    "stp x19, x20, [x0, #0]",
    "stp x21, x22, [x0, #16]",
    "stp x23, x24, [x0, #32]",
    "stp x25, x26, [x0, #48]",
    "stp x27, x28, [x0, #64]",
    "stp d8, d9, [x0, #80]",
    "stp d10, d11, [x0, #96]",
    "stp d12, d13, [x0, #112]",
    "stp d14, d15, [x0, #128]",
    "mov x9, sp",
    "str x9, [x0, #144]",
    "mov x9, x1",
    "mov x0, x2",
    "mov x1, x3",
    "mov x2, x4",
    "mov x3, x5",
    "blr x9",
    "mov w0, #0",
    "ldp x29, x30, [sp], #16",
    "ret",
    ".cfi_endproc",
    ".size waot_rt_call_catching, . - waot_rt_call_catching",
    "",
    ".globl waot_rt_unwind",
    ".type waot_rt_unwind,%function",
    "waot_rt_unwind:",
    "ldp x19, x20, [x0, #0]",
    "ldp x21, x22, [x0, #16]",
    "ldp x23, x24, [x0, #32]",
    "ldp x25, x26, [x0, #48]",
    "ldp x27, x28, [x0, #64]",
    "ldp d8, d9, [x0, #80]",
    "ldp d10, d11, [x0, #96]",
    "ldp d12, d13, [x0, #112]",
    "ldp d14, d15, [x0, #128]",
    "ldr x9, [x0, #144]",
    "mov sp, x9",
    "mov w0, #1",
    "ldp x29, x30, [sp], #16",
    "ret",
    ".size waot_rt_unwind, . - waot_rt_unwind",
);

unsafe extern "C" {
    fn waot_rt_call_catching(
        buf: *mut JmpBuf,
        trampoline: *const u8,
        native_fn: *const u8,
        callee_vmctx: *mut u8,
        caller_vmctx: *mut u8,
        values: *mut ValRaw,
    ) -> u32;
    /// Never returns to its caller; only ever entered by a rewritten signal context.
    pub fn waot_rt_unwind(buf: *mut JmpBuf);
}

/// What the signal handler saw when wasm code trapped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapRecord {
    /// Signal number.
    pub signo: i32,
    /// Faulting pc.
    pub pc: usize,
    /// Fault address (`si_addr`).
    pub fault_addr: usize,
}

impl TrapRecord {
    /// No trap.
    pub const EMPTY: TrapRecord = TrapRecord {
        signo: 0,
        pc: 0,
        fault_addr: 0,
    };
}

/// Per-thread state the signal handler reads. Const-initialized and without
/// a destructor, so touching it from a signal handler never allocates.
pub struct CallState {
    /// Innermost active entry's save area, null when no wasm runs.
    pub buf: Cell<*mut JmpBuf>,
    /// The last trap seen on this thread.
    pub record: Cell<TrapRecord>,
    /// Its wasm frames, walked by the signal handler before unwinding. Kept
    /// apart from the (small) record, which travels in `Result`s; taken by
    /// [`take_backtrace`].
    pub backtrace: Cell<RawBacktrace>,
}

thread_local! {
    /// This thread's [`CallState`].
    pub static CALL_STATE: CallState = const {
        CallState {
            buf: Cell::new(std::ptr::null_mut()),
            record: Cell::new(TrapRecord::EMPTY),
            backtrace: Cell::new(RawBacktrace::EMPTY),
        }
    };
}

/// The wasm frames of the last trap on this thread (then forgotten). Call
/// it right after [`call_catching`] returned that trap, before this thread
/// runs wasm again.
pub fn take_backtrace() -> RawBacktrace {
    CALL_STATE.with(|s| s.backtrace.replace(RawBacktrace::EMPTY))
}

/// Calls `trampoline(native_fn, callee_vmctx, caller_vmctx, values)` and
/// returns `Err` with the trap record when wasm code trapped.
///
/// # Safety
///
/// The pointers must form a valid array call of a wasm function whose code
/// is registered; the signal handlers must be installed on this thread.
pub unsafe fn call_catching(
    trampoline: *const u8,
    native_fn: *const u8,
    callee_vmctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut ValRaw,
) -> Result<(), TrapRecord> {
    let mut buf = JmpBuf::default();
    let prev = CALL_STATE.with(|s| s.buf.replace(&mut buf));
    // SAFETY: the caller guarantees a valid array call; `buf` outlives the
    // call, and the signal handler only resumes at `waot_rt_unwind` with it.
    let status = unsafe {
        waot_rt_call_catching(
            &mut buf,
            trampoline,
            native_fn,
            callee_vmctx,
            caller_vmctx,
            values,
        )
    };
    CALL_STATE.with(|s| s.buf.set(prev));
    if status == 0 {
        Ok(())
    } else {
        Err(CALL_STATE.with(|s| s.record.get()))
    }
}
