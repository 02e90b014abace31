//! Traps: what the host sees when wasm execution stops abnormally.
//!
//! Generated code traps with a hardware fault or a trap instruction; the
//! signal handler ([`signals`]) records it with the wasm frames
//! ([`backtrace`]) and unwinds to the entry point ([`unwind`]); the code
//! registry ([`registry`]) turns the pcs into a trap kind, functions and an
//! access size; the [`crate::Store`] adds the memory address. Host functions trap by returning `Err(Trap)`; the trap travels
//! through the host adapter's `HostTrap` trap site and comes out unchanged.

pub mod backtrace;
pub mod registry;
pub mod signals;
pub mod unwind;

use std::cell::RefCell;
use std::fmt;

use waot_abi::trap::{decode_trap_code, TrapKind};

pub use backtrace::{Backtrace, Frame};
pub use unwind::TrapRecord;

/// Why a host function stopped execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostReason {
    /// WASI `proc_exit(code)`.
    Exit(i32),
    /// Any other host error (bad arguments, a panic in a host function, ...).
    Error(String),
}

impl fmt::Display for HostReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostReason::Exit(code) => write!(f, "exit with status {code}"),
            HostReason::Error(msg) => f.write_str(msg),
        }
    }
}

/// An out-of-bounds linear-memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryAccess {
    /// The wasm address of the first byte that faulted (effective address:
    /// operand plus offset). When the access straddles the end of memory,
    /// the hardware reports the first inaccessible byte, which is then
    /// `memory_bytes`; see [`MemoryAccess::straddles_end`].
    pub address: u64,
    /// Bytes the instruction accesses, when the trap site says.
    pub access_bytes: Option<u32>,
    /// Size of the memory at the time of the trap, in bytes.
    pub memory_bytes: u64,
}

impl MemoryAccess {
    /// Whether the report is ambiguous: the fault is exactly at the end of
    /// memory and the access is wider than one byte, so it may have started
    /// up to `access_bytes - 1` bytes earlier (inside memory).
    pub fn straddles_end(&self) -> bool {
        self.address == self.memory_bytes && self.access_bytes.is_some_and(|n| n > 1)
    }
}

/// A trap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// What happened; `kind.message()` is the spec's text.
    pub kind: TrapKind,
    /// Function index (imports first) of the wasm function that trapped.
    pub func_index: Option<u32>,
    /// Its name (the name section's, demangled by the compiler).
    pub func_name: Option<String>,
    /// The wasm frames active at the trap, innermost first; empty when
    /// unknown. Boxed: `Trap` travels in many `Result`s, keep it small.
    pub backtrace: Box<Backtrace>,
    /// For out-of-bounds loads and stores: where.
    pub memory_access: Option<MemoryAccess>,
    /// For [`TrapKind::HostTrap`]: why.
    pub host: Option<HostReason>,
}

impl Trap {
    /// A trap of `kind` with no further details.
    pub fn new(kind: TrapKind) -> Trap {
        Trap {
            kind,
            func_index: None,
            func_name: None,
            backtrace: Box::default(),
            memory_access: None,
            host: None,
        }
    }

    /// A host trap with `reason`.
    pub fn host(reason: HostReason) -> Trap {
        Trap {
            host: Some(reason),
            ..Trap::new(TrapKind::HostTrap)
        }
    }

    /// The spec message (`"integer divide by zero"`).
    pub fn message(&self) -> &'static str {
        self.kind.message()
    }

    /// The exit code requested by `proc_exit`, if that is why execution stopped.
    pub fn exit_code(&self) -> Option<i32> {
        match self.host {
            Some(HostReason::Exit(code)) => Some(code),
            _ => None,
        }
    }

    /// The detail lines of a report, after its `error: wasm trap: ...`
    /// line: for memory accesses the address, access size and memory size;
    /// then the wasm backtrace (`wasm backtrace:` and one `  N: name (wasm
    /// function I)` line per frame, innermost first), or, when no frames are
    /// known, the function that trapped.
    pub fn details(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.backtrace.is_empty() {
            match (&self.func_name, self.func_index) {
                (Some(name), _) => lines.push(format!("  in function {name}")),
                (None, Some(i)) => lines.push(format!("  in function func[{i}]")),
                _ => {}
            }
        }
        if let Some(m) = &self.memory_access {
            let what = match m.access_bytes {
                Some(n) => format!("{n} byte{}", if n == 1 { "" } else { "s" }),
                None => "memory".to_string(),
            };
            if m.straddles_end() {
                lines.push(format!(
                    "  accessing {what} that cross the end of memory at 0x{:x} (memory size 0x{:x} bytes)",
                    m.address, m.memory_bytes
                ));
            } else {
                lines.push(format!(
                    "  accessing {what} at address 0x{:x} (memory size 0x{:x} bytes)",
                    m.address, m.memory_bytes
                ));
            }
        }
        lines.extend(self.backtrace.lines());
        lines
    }
}

/// `wasm trap: <spec message>` (plus `: <reason>` for host traps).
impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.kind.message())?;
        if let Some(reason) = &self.host {
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}

thread_local! {
    static PENDING_HOST_TRAP: RefCell<Option<Trap>> = const { RefCell::new(None) };
}

/// Remembers the trap a host function returned until its adapter's
/// `HostTrap` unwinds to the entry point.
pub(crate) fn set_pending_host_trap(trap: Trap) {
    PENDING_HOST_TRAP.with(|p| *p.borrow_mut() = Some(trap));
}

/// Turns a trap record into a [`Trap`] (with the backtrace the signal
/// handler left, see [`unwind::take_backtrace`]; so call it right after the
/// trapping call returned). `find_memory` maps a fault address to `(wasm
/// address, memory size)` when it is inside a linear memory.
pub(crate) fn trap_from_record(
    rec: TrapRecord,
    find_memory: impl Fn(usize) -> Option<(u64, u64)>,
) -> Trap {
    let pending = PENDING_HOST_TRAP.with(|p| p.borrow_mut().take());
    let info = registry::lookup(rec.pc).unwrap_or_default();
    let backtrace = Backtrace::resolve(&unwind::take_backtrace(), |pc| {
        let info = registry::lookup(pc)?;
        Some(Frame {
            func_index: info.func_index?,
            func_name: info.func_name,
        })
    });
    let is_fault = rec.signo == libc::SIGSEGV || rec.signo == libc::SIGBUS;
    let (kind, access_bytes) = match info.trap_code.and_then(decode_trap_code) {
        Some(k) => k,
        None if is_fault && is_stack_overflow(rec.fault_addr) => (TrapKind::StackOverflow, None),
        None if is_fault => (TrapKind::MemoryOutOfBounds, None),
        None if rec.signo == libc::SIGFPE => (TrapKind::IntegerDivideByZero, None),
        None => (TrapKind::Unreachable, None),
    };
    if kind == TrapKind::HostTrap {
        if let Some(mut trap) = pending {
            if trap.func_index.is_none() && trap.kind == TrapKind::HostTrap {
                trap.func_index = info.func_index;
                trap.func_name = info.func_name;
            }
            if trap.backtrace.is_empty() {
                trap.backtrace = Box::new(backtrace);
            }
            return trap;
        }
    }
    let memory_access = (kind == TrapKind::MemoryOutOfBounds && is_fault)
        .then(|| find_memory(rec.fault_addr))
        .flatten()
        .map(|(address, memory_bytes)| MemoryAccess {
            address,
            access_bytes,
            memory_bytes,
        });
    Trap {
        kind,
        func_index: info.func_index,
        func_name: info.func_name,
        backtrace: Box::new(backtrace),
        memory_access,
        host: None,
    }
}

/// A fault just below or inside the stack margin is a stack overflow that
/// the prologue check did not catch.
fn is_stack_overflow(fault_addr: usize) -> bool {
    let (low, _) = signals::thread_stack_bounds();
    low != 0
        && fault_addr >= low.saturating_sub(1 << 20)
        && fault_addr < low + signals::STACK_MARGIN_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_details() {
        let mut t = Trap::new(TrapKind::MemoryOutOfBounds);
        t.func_index = Some(3);
        t.memory_access = Some(MemoryAccess {
            address: 0x10000,
            access_bytes: Some(4),
            memory_bytes: 0x10000,
        });
        assert_eq!(t.to_string(), "wasm trap: out of bounds memory access");
        let d = t.details();
        assert_eq!(d[0], "  in function func[3]");
        assert!(d[1].contains("cross the end"), "{}", d[1]);
        t.memory_access.as_mut().unwrap().address = 0x20000;
        assert_eq!(
            t.details()[1],
            "  accessing 4 bytes at address 0x20000 (memory size 0x10000 bytes)"
        );
        t.backtrace.frames = vec![
            Frame {
                func_index: 3,
                func_name: None,
            },
            Frame {
                func_index: 1,
                func_name: Some("main".into()),
            },
        ];
        assert_eq!(
            t.details()[1..],
            [
                "wasm backtrace:",
                "  0: wasm function 3",
                "  1: main (wasm function 1)",
            ]
        );
        let e = Trap::host(HostReason::Exit(3));
        assert_eq!(e.exit_code(), Some(3));
        assert_eq!(
            e.to_string(),
            "wasm trap: host function trapped: exit with status 3"
        );
    }
}
