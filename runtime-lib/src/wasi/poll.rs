//! `poll_oneoff`: clock subscriptions (relative and absolute, on all four
//! clocks) and fd readiness through the host's `ppoll`. Regular files and
//! directories are always ready.
//!
//! A CPU-time clock (`process_cputime_id`, `thread_cputime_id`) fires when
//! that clock reaches the deadline, as a POSIX CPU-time timer does. CPU time
//! cannot advance faster than wall time on the one guest thread, so the
//! wait is done in wall-time slices of the CPU time still missing, checking
//! the clock after each: a program that only waits uses (almost) no CPU, so
//! such a subscription then fires only when its deadline has already been
//! reached (e.g. relative 0, or an absolute time in the past), and an fd or
//! another clock usually fires first. If other host threads burn CPU, the
//! process clock can fire up to one slice late, never early.

use super::clock::{clock_id, now};
use super::fd_table::{filetype, rights};
use super::{with_memory, Args, Errno, GuestMemory, WasiGuard};
use crate::{HostContext, Trap};

const SUBSCRIPTION_SIZE: u32 = 48;
const EVENT_SIZE: usize = 32;
const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
/// `subclockflags::subscription_clock_abstime`.
const ABSTIME: u16 = 1;
/// `eventrwflags::fd_readwrite_hangup`.
const HANGUP: u16 = 1;

struct Event {
    userdata: u64,
    error: Errno,
    ty: u8,
    nbytes: u64,
    flags: u16,
}

impl Event {
    fn encode(&self) -> [u8; EVENT_SIZE] {
        let mut b = [0u8; EVENT_SIZE];
        b[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&(self.error as u16).to_le_bytes());
        b[10] = self.ty;
        b[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&self.flags.to_le_bytes());
        b
    }
}

fn event(userdata: u64, ty: u8, error: Errno) -> Event {
    Event {
        userdata,
        error,
        ty,
        nbytes: 0,
        flags: 0,
    }
}

/// Bytes left to read in a regular file (size - position).
fn file_remaining(fd: i32) -> u64 {
    // SAFETY: plain syscalls.
    let pos = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
    let size = super::fd_table::fstat(fd).map(|s| s.st_size).unwrap_or(0);
    (size - pos.max(0)).max(0) as u64
}

fn poll(w: &mut WasiGuard<'_>, mem: &mut GuestMemory<'_>, a: &Args<'_>) -> Result<(), Errno> {
    let (input, output, n, nevents) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3));
    if n == 0 {
        return Err(Errno::Inval);
    }
    mem.slice(input, n.checked_mul(SUBSCRIPTION_SIZE).ok_or(Errno::Fault)?)?;
    mem.slice_mut(
        output,
        n.checked_mul(EVENT_SIZE as u32).ok_or(Errno::Fault)?,
    )?;
    mem.slice_mut(nevents, 4)?;
    let mut ready: Vec<Event> = Vec::new();
    // (userdata, host clock, deadline on that clock in ns); realtime
    // deadlines are converted to CLOCK_MONOTONIC.
    let mut clocks: Vec<(u64, libc::clockid_t, u64)> = Vec::new();
    let mut pollfds: Vec<libc::pollfd> = Vec::new();
    let mut pollsubs: Vec<(u64, u8)> = Vec::new();
    let mono = now(libc::CLOCK_MONOTONIC).unwrap_or(0);
    for i in 0..n {
        let s = input + i * SUBSCRIPTION_SIZE;
        let userdata = mem.read_u64(s)?;
        let tag = mem.read_u8(s + 8)?;
        match tag {
            EVENTTYPE_CLOCK => {
                let id = mem.read_u32(s + 16)?;
                let timeout = mem.read_u64(s + 24)?;
                let flags = mem.read_u16(s + 40)?;
                let Some(host) = clock_id(id) else {
                    ready.push(event(userdata, EVENTTYPE_CLOCK, Errno::Inval));
                    continue;
                };
                let abs = flags & ABSTIME != 0;
                let (clock, deadline) = match host {
                    libc::CLOCK_REALTIME if abs => {
                        let real = now(libc::CLOCK_REALTIME).unwrap_or(0);
                        (
                            libc::CLOCK_MONOTONIC,
                            mono.saturating_add(timeout.saturating_sub(real)),
                        )
                    }
                    libc::CLOCK_REALTIME => (libc::CLOCK_MONOTONIC, mono.saturating_add(timeout)),
                    _ if abs => (host, timeout),
                    _ => (host, now(host)?.saturating_add(timeout)),
                };
                clocks.push((userdata, clock, deadline));
            }
            EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE => {
                let fd = mem.read_u32(s + 16)?;
                let e = match w.fds.get(fd, rights::POLL_FD_READWRITE) {
                    Ok(e) => e,
                    Err(err) => {
                        ready.push(event(userdata, tag, err));
                        continue;
                    }
                };
                if matches!(e.filetype, filetype::REGULAR_FILE | filetype::DIRECTORY) {
                    let mut ev = event(userdata, tag, Errno::Success);
                    if tag == EVENTTYPE_FD_READ && e.filetype == filetype::REGULAR_FILE {
                        ev.nbytes = file_remaining(e.fd());
                    }
                    ready.push(ev);
                    continue;
                }
                let events = if tag == EVENTTYPE_FD_READ {
                    libc::POLLIN
                } else {
                    libc::POLLOUT
                };
                pollfds.push(libc::pollfd {
                    fd: e.fd(),
                    events,
                    revents: 0,
                });
                pollsubs.push((userdata, tag));
            }
            _ => return Err(Errno::Inval),
        }
    }
    // Wall time to wait for the first clock (for a CPU clock, the CPU
    // time still missing: see the module docs).
    let remaining = |clocks: &[(u64, libc::clockid_t, u64)]| {
        clocks
            .iter()
            .map(|&(_, clock, deadline)| deadline.saturating_sub(now(clock).unwrap_or(u64::MAX)))
            .min()
    };
    loop {
        let timeout = if !ready.is_empty() {
            Some(0)
        } else {
            remaining(&clocks)
        };
        if !pollfds.is_empty() || timeout.is_some_and(|t| t > 0) {
            let ts = timeout.map(|ns| libc::timespec {
                tv_sec: (ns / 1_000_000_000).min(i64::MAX as u64) as i64,
                tv_nsec: (ns % 1_000_000_000) as i64,
            });
            let tsp = ts.as_ref().map_or(std::ptr::null(), |t| t as *const _);
            // SAFETY: `pollfds` is a valid array; `tsp` null or valid.
            // Unlocked: a thread sleeping or waiting for input must not
            // hold up the other threads' WASI calls.
            let r = w.unlocked(|| unsafe {
                libc::ppoll(
                    pollfds.as_mut_ptr(),
                    pollfds.len() as libc::nfds_t,
                    tsp,
                    std::ptr::null(),
                )
            });
            if r < 0 {
                let e = Errno::last();
                if e != Errno::Intr {
                    return Err(e);
                }
            }
        }
        for (p, &(userdata, tag)) in pollfds.iter().zip(&pollsubs) {
            if p.revents == 0 {
                continue;
            }
            let mut ev = event(userdata, tag, Errno::Success);
            if p.revents & libc::POLLNVAL != 0 {
                ev.error = Errno::Badf;
            } else if p.revents & libc::POLLERR != 0 {
                ev.error = Errno::Io;
            }
            if p.revents & libc::POLLHUP != 0 {
                ev.flags = HANGUP;
            }
            if tag == EVENTTYPE_FD_READ {
                let mut avail: libc::c_int = 0;
                // SAFETY: FIONREAD writes one int.
                if unsafe { libc::ioctl(p.fd, libc::FIONREAD, &mut avail) } == 0 {
                    ev.nbytes = avail.max(0) as u64;
                }
            }
            ready.push(ev);
        }
        for &(userdata, clock, deadline) in &clocks {
            if deadline <= now(clock).unwrap_or(u64::MAX) {
                ready.push(event(userdata, EVENTTYPE_CLOCK, Errno::Success));
            }
        }
        if !ready.is_empty() {
            break;
        }
    }
    for (i, ev) in ready.iter().take(n as usize).enumerate() {
        mem.write_bytes(output + (i * EVENT_SIZE) as u32, &ev.encode())?;
    }
    mem.write_u32(nevents, ready.len().min(n as usize) as u32)
}

pub(crate) fn poll_oneoff(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    with_memory(ctx, |mem| poll(w, mem, a))
}
