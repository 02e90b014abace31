//! The in-process loader: maps an ELF relocatable object written by
//! waot-compiler (cranelift-object) into this process, so the spec harness
//! (and `waot run`) can run compiled modules without linking an executable.
//!
//! Layout of the single mapping (each part page-aligned):
//!
//! ```text
//! +-------------------------+  RX
//! | executable sections     |
//! | call stubs (externals)  |
//! +-------------------------+  R
//! | read-only sections      |
//! | GOT                     |
//! +-------------------------+  RW
//! | writable sections, bss  |
//! +-------------------------+
//! ```
//!
//! Relocations may only target the object's own sections and symbols, plus
//! the few runtime symbols in [`runtime_symbol`] (`waot_rt_main` and the
//! math/memory libcalls Cranelift may emit). Calls to those go through a
//! stub, since the runtime may be more than ±2 GiB (x86_64) or ±128 MiB
//! (aarch64) away from the mapping.

use std::collections::HashMap;
use std::fmt;

use object::elf;
use object::{
    Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionFlags,
    SectionIndex, SymbolSection,
};

use crate::sys::{page_size, round_up, Mmap, Prot};

/// Why an object could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Not a valid ELF object for this host.
    Parse(String),
    /// A relocation refers to a symbol that is neither defined in the object
    /// nor provided by the runtime.
    UndefinedSymbol(String),
    /// A relocation type the loader does not implement.
    UnsupportedRelocation {
        /// ELF `r_type`.
        r_type: u32,
        /// Section holding the relocation.
        section: String,
    },
    /// A relocated value does not fit its field.
    Overflow {
        /// ELF `r_type`.
        r_type: u32,
        /// Section holding the relocation.
        section: String,
    },
    /// mmap/mprotect failed.
    Map(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Parse(m) => write!(f, "cannot load object: {m}"),
            LoadError::UndefinedSymbol(s) => {
                write!(f, "cannot load object: undefined symbol `{s}`")
            }
            LoadError::UnsupportedRelocation { r_type, section } => write!(
                f,
                "cannot load object: unsupported relocation type {r_type} in section `{section}`"
            ),
            LoadError::Overflow { r_type, section } => write!(
                f,
                "cannot load object: relocation type {r_type} out of range in section `{section}`"
            ),
            LoadError::Map(m) => write!(f, "cannot load object: {m}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// An object mapped into this process; unmapped on drop.
#[derive(Debug)]
pub struct LoadedObject {
    map: Mmap,
    symbols: HashMap<String, usize>,
}

impl LoadedObject {
    /// Address of the defined symbol `name`.
    pub fn symbol(&self, name: &str) -> Option<*const u8> {
        self.symbols.get(name).map(|&a| a as *const u8)
    }

    /// All defined symbols and their addresses.
    pub fn symbols(&self) -> impl Iterator<Item = (&str, *const u8)> {
        self.symbols
            .iter()
            .map(|(n, &a)| (n.as_str(), a as *const u8))
    }

    /// The whole mapping `(start, length)`.
    pub fn mapping(&self) -> (*const u8, usize) {
        (self.map.as_ptr(), self.map.len())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Exec,
    ReadOnly,
    Write,
}

const STUB_BYTES: usize = 16;

/// Runtime symbols an object may reference.
pub fn runtime_symbol(name: &str) -> Option<usize> {
    let f: usize = match name {
        "waot_rt_main" => crate::entry::waot_rt_main as *const () as usize,
        "ceil" => libcalls::ceil as *const () as usize,
        "ceilf" => libcalls::ceilf as *const () as usize,
        "floor" => libcalls::floor as *const () as usize,
        "floorf" => libcalls::floorf as *const () as usize,
        "trunc" => libcalls::trunc as *const () as usize,
        "truncf" => libcalls::truncf as *const () as usize,
        "nearbyint" => libcalls::nearbyint as *const () as usize,
        "nearbyintf" => libcalls::nearbyintf as *const () as usize,
        "fma" => libcalls::fma as *const () as usize,
        "fmaf" => libcalls::fmaf as *const () as usize,
        "memcpy" => libc::memcpy as *const () as usize,
        "memmove" => libc::memmove as *const () as usize,
        "memset" => libc::memset as *const () as usize,
        _ => return None,
    };
    Some(f)
}

mod libcalls {
    pub extern "C" fn ceil(x: f64) -> f64 {
        x.ceil()
    }
    pub extern "C" fn ceilf(x: f32) -> f32 {
        x.ceil()
    }
    pub extern "C" fn floor(x: f64) -> f64 {
        x.floor()
    }
    pub extern "C" fn floorf(x: f32) -> f32 {
        x.floor()
    }
    pub extern "C" fn trunc(x: f64) -> f64 {
        x.trunc()
    }
    pub extern "C" fn truncf(x: f32) -> f32 {
        x.trunc()
    }
    pub extern "C" fn nearbyint(x: f64) -> f64 {
        x.round_ties_even()
    }
    pub extern "C" fn nearbyintf(x: f32) -> f32 {
        x.round_ties_even()
    }
    pub extern "C" fn fma(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    pub extern "C" fn fmaf(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

fn parse_err(e: impl fmt::Display) -> LoadError {
    LoadError::Parse(e.to_string())
}

/// Loads an ELF relocatable object into memory, applies its relocations
/// and makes its code executable.
pub fn load_object(bytes: &[u8]) -> Result<LoadedObject, LoadError> {
    let file = object::File::parse(bytes).map_err(parse_err)?;
    let host = if cfg!(target_arch = "x86_64") {
        object::Architecture::X86_64
    } else {
        object::Architecture::Aarch64
    };
    if file.architecture() != host || file.format() != object::BinaryFormat::Elf {
        return Err(LoadError::Parse(format!(
            "object is {:?} {:?}, host is {host:?} ELF",
            file.format(),
            file.architecture()
        )));
    }
    let page = page_size();

    // Which sections to load, and in which group.
    let mut loaded: Vec<(SectionIndex, Group, usize, usize)> = Vec::new(); // (index, group, align, size)
    for s in file.sections() {
        let SectionFlags::Elf { sh_flags } = s.flags() else {
            continue;
        };
        if sh_flags & u64::from(elf::SHF_ALLOC) == 0 {
            continue;
        }
        let group = if sh_flags & u64::from(elf::SHF_EXECINSTR) != 0 {
            Group::Exec
        } else if sh_flags & u64::from(elf::SHF_WRITE) != 0 {
            Group::Write
        } else {
            Group::ReadOnly
        };
        loaded.push((
            s.index(),
            group,
            s.align().max(1) as usize,
            s.size() as usize,
        ));
    }

    // External symbols (need a stub and/or GOT entry) and GOT size.
    let mut externals: HashMap<String, (usize, usize)> = HashMap::new(); // name -> (addr, stub index)
    let mut got_slots: HashMap<usize, usize> = HashMap::new(); // symbol index -> slot
    for s in file.sections() {
        if !loaded.iter().any(|l| l.0 == s.index()) {
            continue;
        }
        for (_, r) in s.relocations() {
            let RelocationTarget::Symbol(si) = r.target() else {
                continue;
            };
            let sym = file.symbol_by_index(si).map_err(parse_err)?;
            if sym.is_undefined() {
                let name = sym.name().map_err(parse_err)?;
                let addr =
                    runtime_symbol(name).ok_or_else(|| LoadError::UndefinedSymbol(name.into()))?;
                let n = externals.len();
                externals.entry(name.to_string()).or_insert((addr, n));
            }
            if let RelocationFlags::Elf { r_type } = r.flags() {
                if is_got(r_type) {
                    let n = got_slots.len();
                    got_slots.entry(si.0).or_insert(n);
                }
            }
        }
    }

    // Assign offsets.
    let mut offsets: HashMap<SectionIndex, usize> = HashMap::new();
    let mut cursor = 0usize;
    let place = |group: Group, cursor: &mut usize, offsets: &mut HashMap<SectionIndex, usize>| {
        for &(idx, g, align, size) in &loaded {
            if g == group {
                *cursor = round_up(*cursor, align);
                offsets.insert(idx, *cursor);
                *cursor += size;
            }
        }
    };
    place(Group::Exec, &mut cursor, &mut offsets);
    let stubs_off = round_up(cursor, 16);
    let exec_end = round_up(stubs_off + externals.len() * STUB_BYTES, page);
    cursor = exec_end;
    place(Group::ReadOnly, &mut cursor, &mut offsets);
    let got_off = round_up(cursor, 8);
    let ro_end = round_up(got_off + got_slots.len() * 8, page);
    cursor = ro_end;
    place(Group::Write, &mut cursor, &mut offsets);
    let total = round_up(cursor.max(1), page);

    let map = Mmap::new(total, Prot::ReadWrite).map_err(|e| LoadError::Map(e.to_string()))?;
    let base = map.as_ptr() as usize;
    for s in file.sections() {
        let Some(&off) = offsets.get(&s.index()) else {
            continue;
        };
        if s.kind() == object::SectionKind::UninitializedData {
            continue;
        }
        let data = s.data().map_err(parse_err)?;
        // SAFETY: the section's range was reserved in the fresh mapping.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), (base + off) as *mut u8, data.len())
        };
    }

    // Symbol addresses.
    let sym_addr = |si: object::SymbolIndex| -> Result<usize, LoadError> {
        let sym = file.symbol_by_index(si).map_err(parse_err)?;
        match sym.section() {
            SymbolSection::Section(sec) => {
                let off = offsets.get(&sec).ok_or_else(|| {
                    LoadError::Parse(format!(
                        "symbol `{}` is in a section that is not loaded",
                        sym.name().unwrap_or("?")
                    ))
                })?;
                Ok(base + off + sym.address() as usize)
            }
            SymbolSection::Absolute => Ok(sym.address() as usize),
            _ => {
                let name = sym.name().map_err(parse_err)?;
                externals
                    .get(name)
                    .map(|e| e.0)
                    .ok_or_else(|| LoadError::UndefinedSymbol(name.into()))
            }
        }
    };

    // Stubs and GOT.
    for (addr, n) in externals.values() {
        write_stub(base + stubs_off + n * STUB_BYTES, *addr);
    }
    for (&si, &slot) in &got_slots {
        let v = sym_addr(object::SymbolIndex(si))?;
        // SAFETY: the GOT lies inside the mapping.
        unsafe { ((base + got_off + slot * 8) as *mut u64).write_unaligned(v as u64) };
    }

    // Relocations.
    for s in file.sections() {
        let Some(&sec_off) = offsets.get(&s.index()) else {
            continue;
        };
        let sec_name = s.name().unwrap_or("?").to_string();
        for (offset, r) in s.relocations() {
            let RelocationFlags::Elf { r_type } = r.flags() else {
                continue;
            };
            let RelocationTarget::Symbol(si) = r.target() else {
                return Err(LoadError::UnsupportedRelocation {
                    r_type,
                    section: sec_name,
                });
            };
            let sym = file.symbol_by_index(si).map_err(parse_err)?;
            let mut s_addr = sym_addr(si)? as i64;
            if sym.is_undefined() && is_call(r_type) {
                let name = sym.name().map_err(parse_err)?;
                s_addr = (base + stubs_off + externals[name].1 * STUB_BYTES) as i64;
            }
            let got = got_slots
                .get(&si.0)
                .map(|slot| (base + got_off + slot * 8) as i64);
            let fixup = Fixup {
                p: (base + sec_off + offset as usize) as i64,
                s: s_addr,
                a: r.addend(),
                got: got.unwrap_or(0),
            };
            apply(r_type, fixup).map_err(|overflow| {
                if overflow {
                    LoadError::Overflow {
                        r_type,
                        section: sec_name.clone(),
                    }
                } else {
                    LoadError::UnsupportedRelocation {
                        r_type,
                        section: sec_name.clone(),
                    }
                }
            })?;
        }
    }

    // Defined symbols.
    let mut symbols = HashMap::new();
    for sym in file.symbols() {
        let (Ok(name), SymbolSection::Section(_)) = (sym.name(), sym.section()) else {
            continue;
        };
        if !name.is_empty() && sym.kind() != object::SymbolKind::Section {
            if let Ok(addr) = sym_addr(sym.index()) {
                symbols.insert(name.to_string(), addr);
            }
        }
    }

    let prot_err = |e: std::io::Error| LoadError::Map(e.to_string());
    map.protect(0, exec_end, Prot::ReadExec).map_err(prot_err)?;
    map.protect(exec_end, ro_end - exec_end, Prot::Read)
        .map_err(prot_err)?;
    flush_icache(base, exec_end);
    Ok(LoadedObject { map, symbols })
}

#[derive(Clone, Copy)]
struct Fixup {
    /// Address being patched.
    p: i64,
    /// Symbol address.
    s: i64,
    /// Addend.
    a: i64,
    /// GOT entry address for GOT relocations.
    got: i64,
}

fn write_stub(at: usize, target: usize) {
    let mut stub = [0u8; STUB_BYTES];
    if cfg!(target_arch = "x86_64") {
        // jmp qword ptr [rip + 0]; .quad target
        stub[..6].copy_from_slice(&[0xff, 0x25, 0, 0, 0, 0]);
        stub[6..14].copy_from_slice(&(target as u64).to_le_bytes());
    } else {
        // ldr x16, #8; br x16; .quad target
        stub[..4].copy_from_slice(&0x5800_0050u32.to_le_bytes());
        stub[4..8].copy_from_slice(&0xd61f_0200u32.to_le_bytes());
        stub[8..].copy_from_slice(&(target as u64).to_le_bytes());
    }
    // SAFETY: stubs were reserved in the mapping, which is still writable.
    unsafe { std::ptr::copy_nonoverlapping(stub.as_ptr(), at as *mut u8, STUB_BYTES) };
}

#[cfg(target_arch = "x86_64")]
fn is_got(r_type: u32) -> bool {
    matches!(
        r_type,
        elf::R_X86_64_GOTPCREL | elf::R_X86_64_GOTPCRELX | elf::R_X86_64_REX_GOTPCRELX
    )
}

#[cfg(target_arch = "x86_64")]
fn is_call(r_type: u32) -> bool {
    matches!(r_type, elf::R_X86_64_PLT32 | elf::R_X86_64_PC32)
}

#[cfg(target_arch = "aarch64")]
fn is_got(r_type: u32) -> bool {
    matches!(
        r_type,
        elf::R_AARCH64_ADR_GOT_PAGE | elf::R_AARCH64_LD64_GOT_LO12_NC
    )
}

#[cfg(target_arch = "aarch64")]
fn is_call(r_type: u32) -> bool {
    matches!(r_type, elf::R_AARCH64_CALL26 | elf::R_AARCH64_JUMP26)
}

/// Applies one relocation. `Err(true)`: overflow; `Err(false)`: unsupported.
#[cfg(target_arch = "x86_64")]
fn apply(r_type: u32, f: Fixup) -> Result<(), bool> {
    let p = f.p as *mut u8;
    match r_type {
        elf::R_X86_64_64 => write64(p, f.s.wrapping_add(f.a)),
        elf::R_X86_64_PC64 => write64(p, f.s.wrapping_add(f.a).wrapping_sub(f.p)),
        elf::R_X86_64_PC32 | elf::R_X86_64_PLT32 => {
            write_i32(p, f.s.wrapping_add(f.a).wrapping_sub(f.p))
        }
        elf::R_X86_64_32 => {
            let v = f.s.wrapping_add(f.a);
            let v = u32::try_from(v).map_err(|_| true)?;
            write32(p, v);
            Ok(())
        }
        elf::R_X86_64_32S => write_i32(p, f.s.wrapping_add(f.a)),
        elf::R_X86_64_GOTPCREL | elf::R_X86_64_GOTPCRELX | elf::R_X86_64_REX_GOTPCRELX => {
            write_i32(p, f.got.wrapping_add(f.a).wrapping_sub(f.p))
        }
        _ => Err(false),
    }
}

/// Applies one relocation. `Err(true)`: overflow; `Err(false)`: unsupported.
#[cfg(target_arch = "aarch64")]
fn apply(r_type: u32, f: Fixup) -> Result<(), bool> {
    let p = f.p as *mut u8;
    let sa = f.s.wrapping_add(f.a);
    let page = |x: i64| x & !0xfff;
    let lo12 = |shift: u32| -> Result<(), bool> {
        let imm = ((sa & 0xfff) >> shift) as u32;
        patch(p, 0x3ffc00, imm << 10);
        Ok(())
    };
    match r_type {
        elf::R_AARCH64_ABS64 => write64(p, sa),
        elf::R_AARCH64_PREL64 => write64(p, sa.wrapping_sub(f.p)),
        elf::R_AARCH64_PREL32 => write_i32(p, sa.wrapping_sub(f.p)),
        elf::R_AARCH64_CALL26 | elf::R_AARCH64_JUMP26 => {
            let off = sa.wrapping_sub(f.p);
            if off & 3 != 0 || !(-(1 << 27)..(1 << 27)).contains(&off) {
                return Err(true);
            }
            patch(p, 0x03ff_ffff, ((off >> 2) as u32) & 0x03ff_ffff);
            Ok(())
        }
        elf::R_AARCH64_ADR_PREL_PG_HI21 => adrp(p, page(sa) - page(f.p)),
        elf::R_AARCH64_ADR_GOT_PAGE => adrp(p, page(f.got) - page(f.p)),
        elf::R_AARCH64_ADD_ABS_LO12_NC | elf::R_AARCH64_LDST8_ABS_LO12_NC => lo12(0),
        elf::R_AARCH64_LDST16_ABS_LO12_NC => lo12(1),
        elf::R_AARCH64_LDST32_ABS_LO12_NC => lo12(2),
        elf::R_AARCH64_LDST64_ABS_LO12_NC => lo12(3),
        elf::R_AARCH64_LDST128_ABS_LO12_NC => lo12(4),
        elf::R_AARCH64_LD64_GOT_LO12_NC => {
            let imm = ((f.got & 0xfff) >> 3) as u32;
            patch(p, 0x3ffc00, imm << 10);
            Ok(())
        }
        _ => Err(false),
    }
}

#[cfg(target_arch = "aarch64")]
fn adrp(p: *mut u8, delta: i64) -> Result<(), bool> {
    let imm = delta >> 12;
    if !(-(1 << 20)..(1 << 20)).contains(&imm) {
        return Err(true);
    }
    let imm = imm as u32;
    patch(
        p,
        0x60ff_ffe0,
        ((imm & 3) << 29) | (((imm >> 2) & 0x7ffff) << 5),
    );
    Ok(())
}

#[cfg(target_arch = "aarch64")]
fn patch(p: *mut u8, mask: u32, bits: u32) {
    // SAFETY: `p` is a relocation site inside the writable mapping.
    unsafe {
        let insn = (p as *const u32).read_unaligned();
        (p as *mut u32).write_unaligned((insn & !mask) | (bits & mask));
    }
}

fn write64(p: *mut u8, v: i64) -> Result<(), bool> {
    // SAFETY: `p` is a relocation site inside the writable mapping.
    unsafe { (p as *mut i64).write_unaligned(v) };
    Ok(())
}

fn write32(p: *mut u8, v: u32) {
    // SAFETY: `p` is a relocation site inside the writable mapping.
    unsafe { (p as *mut u32).write_unaligned(v) };
}

fn write_i32(p: *mut u8, v: i64) -> Result<(), bool> {
    let v = i32::try_from(v).map_err(|_| true)?;
    write32(p, v as u32);
    Ok(())
}

#[cfg(target_arch = "aarch64")]
fn flush_icache(start: usize, len: usize) {
    unsafe extern "C" {
        fn __clear_cache(start: *mut libc::c_char, end: *mut libc::c_char);
    }
    // SAFETY: the range is our own freshly written code.
    unsafe { __clear_cache(start as *mut _, (start + len) as *mut _) };
}

#[cfg(target_arch = "x86_64")]
fn flush_icache(_start: usize, _len: usize) {}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests;
