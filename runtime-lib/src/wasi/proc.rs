//! `proc_exit`, `proc_raise` and `sched_yield`.

use super::{Args, Errno, WasiGuard};
use crate::trap::HostReason;
use crate::{HostContext, Trap};

/// Stops execution with a host trap carrying the exit code; the entry point
/// turns it into the process's exit status.
pub(crate) fn proc_exit(
    _: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    Err(Trap::host(HostReason::Exit(a.u32(0) as i32)))
}

/// WASI `signal` -> host signal (0 is "no signal").
fn host_signal(sig: u32) -> Option<i32> {
    use libc::*;
    const TABLE: [i32; 31] = [
        0, SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1,
        SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN,
        SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGPOLL, SIGPWR, SIGSYS,
    ];
    TABLE.get(sig as usize).copied()
}

/// Sends the signal to the process with its default action (as a native
/// program that never installed a handler): terminating signals end the
/// process (killed by that signal), ignored ones do nothing.
pub(crate) fn proc_raise(
    _: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let Some(sig) = host_signal(a.u32(0)) else {
        return Ok(Errno::Inval);
    };
    if sig == 0 {
        return Ok(Errno::Success);
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // SAFETY: resetting a disposition to the default and raising.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        if libc::raise(sig) != 0 {
            return Ok(Errno::last());
        }
    }
    Ok(Errno::Success)
}

pub(crate) fn sched_yield(
    _: &mut WasiGuard<'_>,
    _: &mut HostContext,
    _: &Args<'_>,
) -> Result<Errno, Trap> {
    std::thread::yield_now();
    Ok(Errno::Success)
}
