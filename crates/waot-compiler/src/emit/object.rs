//! A thin layer over cranelift-object's `ObjectModule`: declare and define
//! functions and data in the order they are given (so output bytes depend
//! only on the input), with every `ModuleError` turned into a
//! [`CompileError::Internal`].

use cranelift_codegen::ir::{self, Signature};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module, ModuleError};
use cranelift_object::{ObjectBuilder, ObjectModule};

use crate::codegen::CompiledFunction;
use crate::error::{CompileError, Result};

/// An ELF relocatable object being written.
pub struct ObjectWriter {
    module: ObjectModule,
}

/// A pointer-sized slot of a data object that a relocation fills.
pub enum Pointer {
    /// The address of a function.
    Func(FuncId),
    /// The address of a data object.
    Data(DataId),
}

fn internal(e: ModuleError) -> CompileError {
    CompileError::Internal(format!("object file: {e}"))
}

impl ObjectWriter {
    /// An empty object for `isa`; `name` is the object's file name.
    pub fn new(isa: OwnedTargetIsa, name: &str) -> Result<ObjectWriter> {
        let builder = ObjectBuilder::new(isa, name, cranelift_module::default_libcall_names())
            .map_err(internal)?;
        Ok(ObjectWriter {
            module: ObjectModule::new(builder),
        })
    }

    /// Declares a function symbol.
    pub fn declare_function(
        &mut self,
        name: &str,
        linkage: Linkage,
        sig: &Signature,
    ) -> Result<FuncId> {
        self.module
            .declare_function(name, linkage, sig)
            .map_err(internal)
    }

    /// Defines a declared function with compiled code.
    pub fn define_function(&mut self, id: FuncId, func: &CompiledFunction) -> Result<()> {
        self.module
            .define_function_bytes(id, func.alignment, &func.code, &func.relocs)
            .map_err(internal)
    }

    /// Declares `data` as a read-only data symbol and defines it with
    /// `bytes`, aligned to `align`, with `pointers` (byte offset, target)
    /// filled by relocations. `name: None` makes an anonymous local symbol.
    pub fn define_data(
        &mut self,
        name: Option<&str>,
        linkage: Linkage,
        bytes: Vec<u8>,
        align: u64,
        pointers: &[(u32, Pointer)],
    ) -> Result<DataId> {
        let id = match name {
            Some(name) => self.module.declare_data(name, linkage, false, false),
            None => self.module.declare_anonymous_data(false, false),
        }
        .map_err(internal)?;
        let mut data = DataDescription::new();
        data.define(bytes.into_boxed_slice());
        data.set_align(align);
        for (offset, target) in pointers {
            match *target {
                Pointer::Func(f) => {
                    let f = self.module.declare_func_in_data(f, &mut data);
                    data.write_function_addr(*offset, f);
                }
                Pointer::Data(d) => {
                    let d = self.module.declare_data_in_data(d, &mut data);
                    data.write_data_addr(*offset, d, 0);
                }
            }
        }
        self.module.define_data(id, &data).map_err(internal)?;
        Ok(id)
    }

    /// Declares function `id` in `func`, for a direct call.
    pub fn func_ref(&mut self, id: FuncId, func: &mut ir::Function) -> ir::FuncRef {
        self.module.declare_func_in_func(id, func)
    }

    /// Declares data object `id` in `func`, for its address.
    pub fn data_ref(&self, id: DataId, func: &mut ir::Function) -> ir::GlobalValue {
        self.module.declare_data_in_func(id, func)
    }

    /// Writes the object file.
    pub fn finish(self) -> Result<Vec<u8>> {
        self.module
            .finish()
            .emit()
            .map_err(|e| CompileError::Internal(format!("object file: {e}")))
    }
}
