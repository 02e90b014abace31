//! `memory.atomic.wait32/64` and `memory.atomic.notify` (threads): a
//! process-wide parking table keyed by native address.
//!
//! Generated code calls these only for shared memories, after checking
//! alignment and bounds, and passes the native address of the cell. A
//! shared memory's mapping is the same in every instance that imports it,
//! so the native address identifies the cell process-wide.
//!
//! One lock guards the whole table: a waiter compares the cell's value and
//! enqueues itself under it, and a notifier dequeues under it, so a notify
//! after a store can never slip between a waiter's comparison and its
//! sleep (no lost wake-ups). Each waiter sleeps on its own condition
//! variable, so a notify wakes exactly the waiters it dequeued, oldest
//! first.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::guard;

/// What `memory.atomic.wait*` returns: woken by a notify.
const WOKEN: u32 = 0;
/// The cell did not hold the expected value.
const NOT_EQUAL: u32 = 1;
/// The timeout passed without a notify.
const TIMED_OUT: u32 = 2;

/// One thread blocked in a wait. Its condition variable is used with the
/// table lock.
#[derive(Default)]
struct Waiter {
    /// Set under the table lock by the notify that dequeued this waiter
    /// (atomic only to be shareable; the lock orders it).
    woken: AtomicBool,
    wake: Condvar,
}

/// Waiting threads per address, oldest first.
type Table = HashMap<usize, VecDeque<Arc<Waiter>>>;

fn table() -> MutexGuard<'static, Table> {
    static TABLE: LazyLock<Mutex<Table>> = LazyLock::new(Mutex::default);
    // Nothing panics while holding the lock; a poisoned table is still
    // consistent.
    TABLE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Blocks until a notify on `addr` wakes this thread or `timeout_ns`
/// (negative: forever) passes, if `equal()` holds when checked under the
/// table lock.
fn wait(addr: usize, equal: impl FnOnce() -> bool, timeout_ns: i64) -> u32 {
    let deadline = u64::try_from(timeout_ns)
        .ok()
        .map(|ns| Instant::now().checked_add(Duration::from_nanos(ns)));
    let mut table = table();
    if !equal() {
        return NOT_EQUAL;
    }
    let me = Arc::new(Waiter::default());
    table.entry(addr).or_default().push_back(me.clone());
    let wake = &me.wake;
    loop {
        if me.woken.load(Ordering::Relaxed) {
            return WOKEN;
        }
        table = match deadline {
            // No timeout, or one too far to represent: wait forever.
            None | Some(None) => wake.wait(table).unwrap_or_else(PoisonError::into_inner),
            Some(Some(deadline)) => {
                let now = Instant::now();
                if now >= deadline {
                    dequeue(&mut table, addr, &me);
                    return TIMED_OUT;
                }
                wake.wait_timeout(table, deadline - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
    }
}

/// Removes a waiter that timed out.
fn dequeue(table: &mut Table, addr: usize, me: &Arc<Waiter>) {
    if let Some(queue) = table.get_mut(&addr) {
        queue.retain(|w| !Arc::ptr_eq(w, me));
        if queue.is_empty() {
            table.remove(&addr);
        }
    }
}

/// Wakes up to `count` waiters on `addr`, oldest first; how many it woke.
fn notify(addr: usize, count: u32) -> u32 {
    let mut table = table();
    let Some(queue) = table.get_mut(&addr) else {
        return 0;
    };
    let mut woken = 0;
    while woken < count {
        let Some(waiter) = queue.pop_front() else {
            break;
        };
        waiter.woken.store(true, Ordering::Relaxed);
        waiter.wake.notify_one();
        woken += 1;
    }
    if queue.is_empty() {
        table.remove(&addr);
    }
    woken
}

/// `memory.atomic.wait32`: 0 woken, 1 not equal, 2 timed out.
pub(super) unsafe extern "C" fn memory_atomic_wait32(
    _vmctx: *mut u8,
    addr: u64,
    expected: u32,
    timeout_ns: i64,
) -> u32 {
    guard(TIMED_OUT, || {
        // SAFETY: generated code passes the aligned address of an in-bounds
        // cell of a shared memory, which outlives every instance using it.
        let cell = unsafe { AtomicU32::from_ptr(addr as *mut u32) };
        wait(
            addr as usize,
            || cell.load(Ordering::SeqCst) == expected,
            timeout_ns,
        )
    })
}

/// `memory.atomic.wait64`: 0 woken, 1 not equal, 2 timed out.
pub(super) unsafe extern "C" fn memory_atomic_wait64(
    _vmctx: *mut u8,
    addr: u64,
    expected: u64,
    timeout_ns: i64,
) -> u32 {
    guard(TIMED_OUT, || {
        // SAFETY: as in `memory_atomic_wait32`.
        let cell = unsafe { AtomicU64::from_ptr(addr as *mut u64) };
        wait(
            addr as usize,
            || cell.load(Ordering::SeqCst) == expected,
            timeout_ns,
        )
    })
}

/// `memory.atomic.notify`: how many waiters it woke.
pub(super) unsafe extern "C" fn memory_atomic_notify(
    _vmctx: *mut u8,
    addr: u64,
    count: u32,
) -> u32 {
    guard(0, || notify(addr as usize, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_compares_times_out_and_wakes() {
        let cell = Box::new(AtomicU32::new(7));
        let addr = cell.as_ptr() as u64;
        // SAFETY: `cell` is a live, aligned u32.
        unsafe {
            assert_eq!(
                memory_atomic_wait32(std::ptr::null_mut(), addr, 8, -1),
                NOT_EQUAL
            );
            assert_eq!(
                memory_atomic_wait32(std::ptr::null_mut(), addr, 7, 0),
                TIMED_OUT
            );
            assert_eq!(
                memory_atomic_wait32(std::ptr::null_mut(), addr, 7, 1_000_000),
                TIMED_OUT
            );
            assert_eq!(memory_atomic_notify(std::ptr::null_mut(), addr, 5), 0);
        }
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                // SAFETY: `cell` outlives the threads (joined below).
                std::thread::spawn(move || unsafe {
                    memory_atomic_wait32(std::ptr::null_mut(), addr, 7, -1)
                })
            })
            .collect();
        let mut woken = 0;
        while woken < 3 {
            // SAFETY: as above.
            woken += unsafe { memory_atomic_notify(std::ptr::null_mut(), addr, 2) };
            std::thread::yield_now();
        }
        for w in waiters {
            assert_eq!(w.join().unwrap(), WOKEN);
        }
        assert!(table().get(&(addr as usize)).is_none(), "queue removed");
    }
}
