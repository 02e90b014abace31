//! Loader tests with hand-built x86_64 objects (object's writer).

use object::write::{Object, Relocation, StandardSection, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SymbolFlags, SymbolKind, SymbolScope,
};

use super::*;

fn sym(
    obj: &mut Object<'_>,
    name: &str,
    section: SymbolSection,
    value: u64,
    kind: SymbolKind,
) -> object::write::SymbolId {
    obj.add_symbol(Symbol {
        name: name.as_bytes().to_vec(),
        value,
        size: 0,
        kind,
        scope: SymbolScope::Linkage,
        weak: false,
        section,
        flags: SymbolFlags::None,
    })
}

fn reloc(
    obj: &mut Object<'_>,
    section: object::write::SectionId,
    offset: u64,
    symbol: object::write::SymbolId,
    addend: i64,
    r_type: u32,
) {
    obj.add_relocation(
        section,
        Relocation {
            offset,
            symbol,
            addend,
            flags: RelocationFlags::Elf { r_type },
        },
    )
    .unwrap();
}

#[test]
fn relocations() {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = obj.section_id(StandardSection::Text);
    let rodata = obj.section_id(StandardSection::ReadOnlyData);
    let data = obj.section_id(StandardSection::Data);
    let value_off = obj.append_section_data(rodata, &0x1122_3344_5566_7788u64.to_le_bytes(), 8);
    let value = sym(
        &mut obj,
        "value",
        SymbolSection::Section(rodata),
        value_off,
        SymbolKind::Data,
    );
    // load_value: mov rax, [rip + value]; ret
    let f1 = obj.append_section_data(text, &[0x48, 0x8b, 0x05, 0, 0, 0, 0, 0xc3], 16);
    let load_value = sym(
        &mut obj,
        "load_value",
        SymbolSection::Section(text),
        f1,
        SymbolKind::Text,
    );
    reloc(&mut obj, text, f1 + 3, value, -4, elf::R_X86_64_PC32);
    // value_addr: mov rax, [rip + GOT(value)]; ret
    let f2 = obj.append_section_data(text, &[0x48, 0x8b, 0x05, 0, 0, 0, 0, 0xc3], 16);
    sym(
        &mut obj,
        "value_addr",
        SymbolSection::Section(text),
        f2,
        SymbolKind::Text,
    );
    reloc(
        &mut obj,
        text,
        f2 + 3,
        value,
        -4,
        elf::R_X86_64_REX_GOTPCRELX,
    );
    // my_floor: jmp floor (through a stub)
    let f3 = obj.append_section_data(text, &[0xe9, 0, 0, 0, 0], 16);
    sym(
        &mut obj,
        "my_floor",
        SymbolSection::Section(text),
        f3,
        SymbolKind::Text,
    );
    let floor = sym(
        &mut obj,
        "floor",
        SymbolSection::Undefined,
        0,
        SymbolKind::Text,
    );
    reloc(&mut obj, text, f3 + 1, floor, -4, elf::R_X86_64_PLT32);
    // fn_ptr: .quad load_value
    let p = obj.append_section_data(data, &[0; 8], 8);
    sym(
        &mut obj,
        "fn_ptr",
        SymbolSection::Section(data),
        p,
        SymbolKind::Data,
    );
    reloc(&mut obj, data, p, load_value, 0, elf::R_X86_64_64);

    let bytes = obj.write().unwrap();
    let loaded = load_object(&bytes).unwrap();
    let get = |name| loaded.symbol(name).unwrap_or_else(|| panic!("no {name}"));
    // SAFETY: these symbols are the functions assembled above.
    unsafe {
        let f: extern "C" fn() -> u64 = std::mem::transmute(get("load_value"));
        assert_eq!(f(), 0x1122_3344_5566_7788);
        let f: extern "C" fn() -> usize = std::mem::transmute(get("value_addr"));
        assert_eq!(f(), get("value") as usize);
        let f: extern "C" fn(f64) -> f64 = std::mem::transmute(get("my_floor"));
        assert_eq!(f(2.5), 2.0);
        assert_eq!(*(get("fn_ptr") as *const usize), get("load_value") as usize);
    }
    let (start, len) = loaded.mapping();
    assert!(
        get("value") as usize >= start as usize && (get("value") as usize) < start as usize + len
    );
}

#[test]
fn undefined_symbols_and_garbage() {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = obj.section_id(StandardSection::Text);
    let f = obj.append_section_data(text, &[0xe9, 0, 0, 0, 0], 16);
    let nope = sym(
        &mut obj,
        "nope",
        SymbolSection::Undefined,
        0,
        SymbolKind::Text,
    );
    reloc(&mut obj, text, f + 1, nope, -4, elf::R_X86_64_PLT32);
    let err = load_object(&obj.write().unwrap()).unwrap_err();
    assert_eq!(err, LoadError::UndefinedSymbol("nope".into()));
    assert!(matches!(
        load_object(b"not an object"),
        Err(LoadError::Parse(_))
    ));
}
