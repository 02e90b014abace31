//! The process-wide code registry: which addresses are generated wasm code,
//! which function they belong to, and which trap each trap site raises.
//!
//! Every [`crate::Module`] registers one [`CodeInfo`] while it lives. The
//! signal handler only uses [`with_code`] (which pc is wasm code, and
//! whether it is a defined function, for the backtrace walk); it must not
//! block, so it takes the read lock with `try_read` (retrying while a writer
//! briefly holds it) and never allocates. The detailed [`lookup`] runs after
//! unwinding, in ordinary code.

use std::sync::{Arc, RwLock};

use waot_abi::meta::ModuleMeta;

/// One module's code: absolute address ranges and trap sites.
#[derive(Debug)]
pub struct CodeInfo {
    /// `[start, end)` covering all of the module's code.
    span: (usize, usize),
    /// `(start, end, code_index)` of every piece of code, sorted by start.
    ranges: Vec<(usize, usize, u32)>,
    /// `(absolute pc, raw trap code)`, sorted by pc.
    traps: Vec<(usize, u8)>,
    num_imported_funcs: u32,
    num_defined_funcs: u32,
    func_names: Vec<(u32, String)>,
}

/// What the registry knows about a pc.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PcInfo {
    /// Function index (imports first) when the pc is in a defined function
    /// (not a trampoline or adapter).
    pub func_index: Option<u32>,
    /// Its name-section name.
    pub func_name: Option<String>,
    /// Raw trap code of the trap site at exactly this pc.
    pub trap_code: Option<u8>,
}

impl CodeInfo {
    /// Builds the code info of a module whose code index `i` starts at
    /// `starts[i]` and is `meta.code_sizes[i]` bytes long.
    pub fn new(meta: &ModuleMeta<'_>, starts: &[*const u8]) -> CodeInfo {
        let mut ranges: Vec<(usize, usize, u32)> = starts
            .iter()
            .zip(&meta.code_sizes)
            .enumerate()
            .map(|(i, (s, len))| (*s as usize, *s as usize + *len as usize, i as u32))
            .collect();
        ranges.sort_unstable();
        let span = (
            ranges.iter().map(|r| r.0).min().unwrap_or(0),
            ranges.iter().map(|r| r.1).max().unwrap_or(0),
        );
        let mut traps: Vec<(usize, u8)> = meta
            .traps
            .iter()
            .filter_map(|t| {
                let start = *starts.get(t.defined_func as usize)? as usize;
                Some((start + t.code_offset as usize, t.code))
            })
            .collect();
        traps.sort_unstable();
        let counts = meta.vm_counts();
        CodeInfo {
            span,
            ranges,
            traps,
            num_imported_funcs: counts.num_imported_funcs,
            num_defined_funcs: counts.num_defined_funcs,
            func_names: meta.func_names.clone(),
        }
    }

    fn contains(&self, pc: usize) -> bool {
        pc >= self.span.0 && pc < self.span.1
    }

    /// The code index of the piece of code containing `pc`.
    fn code_index(&self, pc: usize) -> Option<u32> {
        let i = self.ranges.partition_point(|r| r.0 <= pc);
        let &(_, end, code_index) = &self.ranges[i.checked_sub(1)?];
        (pc < end).then_some(code_index)
    }

    fn lookup(&self, pc: usize) -> PcInfo {
        let mut info = PcInfo::default();
        if let Some(code_index) = self.code_index(pc) {
            if code_index < self.num_defined_funcs {
                let f = self.num_imported_funcs + code_index;
                info.func_index = Some(f);
                info.func_name = self
                    .func_names
                    .binary_search_by_key(&f, |(i, _)| *i)
                    .ok()
                    .map(|i| self.func_names[i].1.clone());
            }
        }
        if let Ok(i) = self.traps.binary_search_by_key(&pc, |t| t.0) {
            info.trap_code = Some(self.traps[i].1);
        }
        info
    }
}

static REGISTRY: RwLock<Vec<Arc<CodeInfo>>> = RwLock::new(Vec::new());

/// Makes `info`'s code known to the signal handler.
pub fn register(info: Arc<CodeInfo>) {
    let mut reg = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let at = reg.partition_point(|c| c.span.0 <= info.span.0);
    reg.insert(at, info);
}

/// Forgets `info` (the module is being dropped).
pub fn unregister(info: &Arc<CodeInfo>) {
    let mut reg = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    reg.retain(|c| !Arc::ptr_eq(c, info));
}

fn find(reg: &[Arc<CodeInfo>], pc: usize) -> Option<&Arc<CodeInfo>> {
    let i = reg.partition_point(|c| c.span.0 <= pc);
    // Spans of distinct modules do not overlap, except for modules made
    // twice from the same descriptor, whose spans are equal.
    reg[..i].iter().rev().take(4).find(|c| c.contains(pc))
}

/// What kind of code an address is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeKind {
    /// Not registered wasm code (the runtime, the C program, libc, ...).
    NotWasm,
    /// A trampoline or host adapter the compiler generated.
    Glue,
    /// A defined wasm function.
    Function,
}

/// All registered code, read-locked (see [`with_code`]).
pub struct CodeView<'a>(&'a [Arc<CodeInfo>]);

impl CodeView<'_> {
    /// What `pc` is. Async-signal-safe.
    pub fn kind(&self, pc: usize) -> CodeKind {
        let Some(code) = find(self.0, pc) else {
            return CodeKind::NotWasm;
        };
        match code.code_index(pc) {
            Some(i) if i < code.num_defined_funcs => CodeKind::Function,
            Some(_) => CodeKind::Glue,
            // Padding between two pieces of code of one module.
            None => CodeKind::NotWasm,
        }
    }
}

/// Runs `f` with the registry read-locked, or returns `None` when the lock
/// could not be taken. Async-signal-safe: no allocation, no blocking (gives
/// up after a bounded number of retries while a writer holds the lock).
pub fn with_code<R>(f: impl FnOnce(CodeView<'_>) -> R) -> Option<R> {
    for attempt in 0..100_000u32 {
        if let Ok(reg) = REGISTRY.try_read() {
            return Some(f(CodeView(&reg)));
        }
        if attempt % 64 == 63 {
            // SAFETY: sched_yield is async-signal-safe and has no preconditions.
            unsafe { libc::sched_yield() };
        } else {
            std::hint::spin_loop();
        }
    }
    None
}

/// Whether `pc` is in registered wasm code. Async-signal-safe, as
/// [`with_code`].
pub fn is_wasm_pc(pc: usize) -> bool {
    with_code(|code| code.kind(pc) != CodeKind::NotWasm).unwrap_or(false)
}

/// Function and trap-site information for `pc`, or `None` outside wasm code.
pub fn lookup(pc: usize) -> Option<PcInfo> {
    let reg = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    find(&reg, pc).map(|c| c.lookup(pc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use waot_abi::meta::TrapSite;

    #[test]
    fn lookup_functions_and_sites() {
        let meta = ModuleMeta {
            funcs: vec![0, 0, 0],
            func_names: vec![(1, "second".into())],
            code_sizes: vec![16, 32],
            traps: vec![TrapSite {
                defined_func: 1,
                code_offset: 5,
                code: 34,
            }],
            ..Default::default()
        };
        let code = [0u8; 64];
        let base = code.as_ptr();
        // SAFETY: both offsets are inside `code`.
        let starts = unsafe { [base, base.add(16)] };
        let info = Arc::new(CodeInfo::new(&meta, &starts));
        register(info.clone());
        let b = base as usize;
        assert!(is_wasm_pc(b));
        assert!(is_wasm_pc(b + 47));
        assert!(!is_wasm_pc(b + 48));
        let kinds = with_code(|c| [c.kind(b), c.kind(b + 47), c.kind(b + 48)]);
        // Both code units are defined functions (meta.funcs has 3 entries,
        // no imports, so 3 defined: code indexes 0 and 1 are functions).
        assert_eq!(
            kinds,
            Some([CodeKind::Function, CodeKind::Function, CodeKind::NotWasm])
        );
        let at = lookup(b + 21).unwrap();
        assert_eq!(at.func_index, Some(1));
        assert_eq!(at.func_name.as_deref(), Some("second"));
        assert_eq!(at.trap_code, Some(34));
        let at = lookup(b + 3).unwrap();
        assert_eq!((at.func_index, at.trap_code), (Some(0), None));
        unregister(&info);
        assert!(!is_wasm_pc(b));
    }
}
