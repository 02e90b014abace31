//! Wasm backtraces: the chain of wasm frames active when code trapped.
//!
//! Every function waot generates keeps a frame pointer (Cranelift's
//! `preserve_frame_pointers`, set in `waot_compiler::codegen`), and on both
//! targets a frame record is two words at the frame pointer: the caller's
//! frame pointer, then the return address (x86_64 `push rbp; mov rbp, rsp`,
//! aarch64 `stp x29, x30, [sp, #-16]!; mov x29, sp`). The signal handler
//! [`walk`]s that chain from the faulting context before the stack is
//! unwound, and keeps only raw addresses (it must not allocate); the
//! function names are looked up afterwards, when the [`crate::Trap`] is made.
//!
//! The walk never reads outside `[sp, stack top)` of the trapping thread,
//! which is mapped (and reads nothing when `sp` is not on the thread's
//! stack); each step must move strictly up the stack, so a corrupt chain
//! ends the walk instead of looping or faulting.

use super::registry::{CodeKind, CodeView};

/// Innermost frames kept per trap.
pub const INNER_FRAMES: usize = 48;
/// Outermost frames kept per trap, when there are more than
/// [`INNER_FRAMES`]: runaway recursion still shows where it started.
pub const OUTER_FRAMES: usize = 16;

/// The wasm frames of a trap as code addresses, innermost first: the
/// faulting pc, then each caller's return address minus one (so the
/// address is inside the call instruction, even when the call is the last
/// instruction of its function). Trampolines and host adapters are skipped.
/// Deep stacks keep their innermost and outermost frames and count the
/// frames in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawBacktrace {
    inner: [usize; INNER_FRAMES],
    /// A ring: frame `INNER_FRAMES + k` is at `outer[k % OUTER_FRAMES]`.
    outer: [usize; OUTER_FRAMES],
    total: usize,
}

impl Default for RawBacktrace {
    fn default() -> RawBacktrace {
        RawBacktrace::EMPTY
    }
}

impl RawBacktrace {
    /// No frames.
    pub const EMPTY: RawBacktrace = RawBacktrace {
        inner: [0; INNER_FRAMES],
        outer: [0; OUTER_FRAMES],
        total: 0,
    };

    fn push(&mut self, pc: usize) {
        match self.total.checked_sub(INNER_FRAMES) {
            None => self.inner[self.total] = pc,
            Some(k) => self.outer[k % OUTER_FRAMES] = pc,
        }
        self.total += 1;
    }

    /// The innermost frames kept, innermost first.
    pub fn inner(&self) -> &[usize] {
        &self.inner[..self.total.min(INNER_FRAMES)]
    }

    /// Frames found but not kept, between [`RawBacktrace::inner`] and
    /// [`RawBacktrace::outer`].
    pub fn omitted(&self) -> usize {
        self.total.saturating_sub(INNER_FRAMES + OUTER_FRAMES)
    }

    /// The outermost frames kept (beyond the inner ones), innermost first.
    pub fn outer(&self) -> Vec<usize> {
        let beyond = self.total.saturating_sub(INNER_FRAMES);
        let kept = beyond.min(OUTER_FRAMES);
        (beyond - kept..beyond)
            .map(|k| self.outer[k % OUTER_FRAMES])
            .collect()
    }
}

/// Walks the frame-pointer chain of a thread that trapped at `pc` in wasm
/// code with frame pointer `fp` and stack pointer `sp`; `stack` is
/// `[low, top)` of the thread's stack (`(0, 0)` when unknown). Only `pc` is
/// recorded when `sp` is not on that stack (wasm running on a stack the
/// embedder switched to: nothing is known to be mapped there). Stops at the
/// first return address outside wasm code (the entry that called into
/// wasm). Async-signal-safe.
pub fn walk(
    code: &CodeView<'_>,
    pc: usize,
    fp: usize,
    sp: usize,
    stack: (usize, usize),
) -> RawBacktrace {
    let (low, top) = stack;
    // Everything from the stack pointer up to the top of its stack is
    // mapped; elsewhere we cannot tell.
    let stack_top = if (low..top).contains(&sp) { top } else { 0 };
    let mut bt = RawBacktrace::EMPTY;
    if code.kind(pc) == CodeKind::Function {
        bt.push(pc);
    }
    let word = std::mem::size_of::<usize>();
    let mut fp = fp;
    loop {
        let record_end = fp.checked_add(2 * word);
        if fp < sp || !fp.is_multiple_of(word) || record_end.is_none_or(|end| end > stack_top) {
            break;
        }
        // SAFETY: `[fp, fp + 2 words)` lies between the thread's stack
        // pointer and the top of its stack, which is mapped and readable.
        let (caller_fp, ret) = unsafe {
            let record = fp as *const usize;
            (record.read(), record.add(1).read())
        };
        let Some(call_pc) = ret.checked_sub(1) else {
            break;
        };
        match code.kind(call_pc) {
            CodeKind::NotWasm => break,
            CodeKind::Glue => {}
            CodeKind::Function => bt.push(call_pc),
        }
        // Callers' frames are higher up the stack; anything else is a
        // broken chain.
        if caller_fp <= fp {
            break;
        }
        fp = caller_fp;
    }
    bt
}

/// One wasm frame of a trap's backtrace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Function index (imports first).
    pub func_index: u32,
    /// Its name (the name section's, demangled by the compiler).
    pub func_name: Option<String>,
}

impl Frame {
    /// `name (wasm function N)`, or `wasm function N` without a name.
    pub fn describe(&self) -> String {
        match &self.func_name {
            Some(name) => format!("{name} (wasm function {})", self.func_index),
            None => format!("wasm function {}", self.func_index),
        }
    }
}

/// The wasm frames active at a trap, innermost first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backtrace {
    /// The frames kept: the innermost, then (when `omitted > 0`) the
    /// outermost.
    pub frames: Vec<Frame>,
    /// Frames left out after `frames[..omitted_at]` (runaway recursion).
    pub omitted: usize,
    /// Where in `frames` the omitted ones belong.
    pub omitted_at: usize,
}

/// A run of identical frames longer than this is printed as its first
/// frame and a count.
const MAX_REPEATS_SHOWN: usize = 3;

impl Backtrace {
    /// Looks up the functions of `raw`'s addresses (`func_of` gives a
    /// code address's function, `None` for any other code).
    pub fn resolve(raw: &RawBacktrace, func_of: impl Fn(usize) -> Option<Frame>) -> Backtrace {
        let frames: Vec<Frame> = raw.inner().iter().filter_map(|&pc| func_of(pc)).collect();
        let omitted_at = frames.len();
        let mut frames = frames;
        frames.extend(raw.outer().into_iter().filter_map(&func_of));
        Backtrace {
            frames,
            omitted: raw.omitted(),
            omitted_at,
        }
    }

    /// Whether no frame is known.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The report lines: `wasm backtrace:`, then `  N: <frame>` per frame
    /// (N is the depth, 0 innermost); runs of more than three identical
    /// frames show one frame and `  [repeated K more times]`; omitted
    /// frames show as `  ... K more frames`. No lines when empty.
    pub fn lines(&self) -> Vec<String> {
        if self.frames.is_empty() {
            return Vec::new();
        }
        let mut lines = vec!["wasm backtrace:".to_string()];
        let parts = [
            (0, &self.frames[..self.omitted_at]),
            (
                self.omitted_at + self.omitted,
                &self.frames[self.omitted_at..],
            ),
        ];
        for (n, (first_depth, frames)) in parts.into_iter().enumerate() {
            if n == 1 && self.omitted > 0 {
                lines.push(format!("  ... {} more frames", self.omitted));
            }
            let mut i = 0;
            while i < frames.len() {
                let run = frames[i..].iter().take_while(|f| **f == frames[i]).count();
                let shown = if run > MAX_REPEATS_SHOWN { 1 } else { run };
                for k in 0..shown {
                    let depth = first_depth + i + k;
                    lines.push(format!("{depth:>3}: {}", frames[i].describe()));
                }
                if shown < run {
                    lines.push(format!("  [repeated {} more times]", run - shown));
                }
                i += run;
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_innermost_and_outermost_frames() {
        let mut bt = RawBacktrace::EMPTY;
        for pc in 0..3 {
            bt.push(pc);
        }
        assert_eq!(
            (bt.inner(), bt.outer(), bt.omitted()),
            (&[0, 1, 2][..], vec![], 0)
        );
        for pc in 3..INNER_FRAMES + 5 {
            bt.push(pc);
        }
        assert_eq!(bt.inner().len(), INNER_FRAMES);
        let outer: Vec<usize> = (INNER_FRAMES..INNER_FRAMES + 5).collect();
        assert_eq!((bt.outer(), bt.omitted()), (outer, 0));
        let total = INNER_FRAMES + OUTER_FRAMES + 100;
        for pc in INNER_FRAMES + 5..total {
            bt.push(pc);
        }
        let outer: Vec<usize> = (total - OUTER_FRAMES..total).collect();
        assert_eq!((bt.outer(), bt.omitted()), (outer, 100));
        assert_eq!(bt.inner()[INNER_FRAMES - 1], INNER_FRAMES - 1);
    }

    #[test]
    fn lines_number_by_depth_and_fold_repeats() {
        let frame = |i: u32| Frame {
            func_index: i,
            func_name: (i == 0).then(|| "f".to_string()),
        };
        let mut raw = RawBacktrace::EMPTY;
        // 60 frames of function 0 (recursion), 1000 omitted, then 1 and 2.
        let total = INNER_FRAMES + OUTER_FRAMES + 1000;
        for k in 0..total {
            raw.push(if k == total - 1 {
                2
            } else if k == total - 2 {
                1
            } else {
                0
            });
        }
        let bt = Backtrace::resolve(&raw, |pc| Some(frame(pc as u32)));
        assert_eq!(
            bt.lines(),
            [
                "wasm backtrace:".to_string(),
                "  0: f (wasm function 0)".into(),
                format!("  [repeated {} more times]", INNER_FRAMES - 1),
                "  ... 1000 more frames".into(),
                format!("{:>3}: f (wasm function 0)", total - OUTER_FRAMES),
                format!("  [repeated {} more times]", OUTER_FRAMES - 3),
                format!("{:>3}: wasm function 1", total - 2),
                format!("{:>3}: wasm function 2", total - 1),
            ]
        );
        let short = Backtrace::resolve(&raw, |pc| (pc != 0).then(|| frame(pc as u32)));
        assert_eq!(short.frames.len(), 2);
        assert!(Backtrace::default().lines().is_empty());
    }

    /// A fake stack with three frame records: two in wasm, then a corrupt
    /// one pointing down the stack.
    #[test]
    fn walks_the_chain_and_stops_safely() {
        use crate::trap::registry::{self, CodeInfo};
        use std::sync::Arc;
        use waot_abi::meta::ModuleMeta;

        let meta = ModuleMeta {
            funcs: vec![0, 0],
            code_sizes: vec![16, 16, 16],
            types: vec![Default::default()],
            ..Default::default()
        };
        let code = [0u8; 48];
        let c = code.as_ptr() as usize;
        // SAFETY: offsets inside `code`.
        let starts = unsafe { [code.as_ptr(), code.as_ptr().add(16), code.as_ptr().add(32)] };
        let info = Arc::new(CodeInfo::new(&meta, &starts));
        registry::register(info.clone());

        let mut stack = [0usize; 16];
        let base = stack.as_ptr() as usize;
        let at = |i: usize| base + i * std::mem::size_of::<usize>();
        // Frame of the trapping function (at 2) -> caller (6) -> glue (10)
        // -> a return address outside wasm.
        stack[2] = at(6);
        stack[3] = c + 20; // function 1
        stack[6] = at(10);
        stack[7] = c + 33; // code index 2: glue, skipped
        stack[10] = at(14);
        stack[11] = 8; // not wasm: the walk ends
                       // The walk reads `stack` through integer addresses; make sure the
                       // writes happen.
        std::hint::black_box(&mut stack);
        let (sp, top) = (base, at(16));
        let walk_from =
            |fp: usize| registry::with_code(|code| walk(&code, c + 3, fp, sp, (sp, top))).unwrap();
        let bt = walk_from(at(2));
        assert_eq!(bt.inner(), [c + 3, c + 19]);
        assert_eq!(bt.omitted(), 0);

        // A chain that goes down the stack, leaves it, or is misaligned:
        // the walk stops there and never reads outside the stack.
        stack[6] = at(1);
        stack[7] = c + 5;
        std::hint::black_box(&mut stack);
        assert_eq!(walk_from(at(2)).inner(), [c + 3, c + 19, c + 4]);
        for bad_fp in [at(15), top, base - 64, at(2) + 1, usize::MAX - 3] {
            assert_eq!(walk_from(bad_fp).inner(), [c + 3], "fp {bad_fp:#x}");
        }
        // A stack pointer outside the thread's stack, or unknown bounds:
        // no frame is read.
        for bounds in [(at(1), top), (0, 0)] {
            let bt = registry::with_code(|code| walk(&code, c + 3, at(2), sp, bounds)).unwrap();
            assert_eq!(bt.inner(), [c + 3], "{bounds:x?}");
        }
        registry::unregister(&info);
        // Unregistered code: not even the pc is a wasm frame.
        let bt = registry::with_code(|code| walk(&code, c + 3, at(2), sp, (sp, top))).unwrap();
        assert!(bt.inner().is_empty());
    }

    #[test]
    fn describe() {
        let f = Frame {
            func_index: 12,
            func_name: Some("fib::fib".into()),
        };
        assert_eq!(f.describe(), "fib::fib (wasm function 12)");
        let f = Frame {
            func_index: 3,
            func_name: None,
        };
        assert_eq!(f.describe(), "wasm function 3");
    }
}
