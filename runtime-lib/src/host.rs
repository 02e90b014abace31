//! Host functions: Rust closures callable from wasm.
//!
//! A host function is a [`HostFuncData`] whose first field is the
//! `VmHostFunc::call` entry ([`host_call`]). When a module imports it, its
//! [`VmFuncRef`] gets the module's host adapter for the import's type as
//! `native_fn` (adapters of equal signatures are interchangeable), and the
//! `HostFuncData` itself as `vmctx`. The adapter spills the arguments into a
//! `ValRaw` buffer and calls [`host_call`], which decodes them, runs the
//! closure and writes the results back. A closure that returns `Err(trap)`
//! (or panics) makes `host_call` return 1; the adapter then traps with
//! `HostTrap` and the trap comes out of [`crate::Store::call`] unchanged.

use std::panic::{catch_unwind, AssertUnwindSafe};

use waot_abi::meta::FuncType;
use waot_abi::vmctx::{ValRaw, VmFuncRef, VMCTX_INSTANCE};

use crate::instance::InstanceData;
use crate::trap::{set_pending_host_trap, HostReason};
use crate::{Trap, Val};

/// The closure type of host functions: `(context, params, results)`.
/// `results` arrives filled with zero values of the result types.
pub type HostFn = Box<dyn FnMut(&mut HostContext, &[Val], &mut [Val]) -> Result<(), Trap>>;

/// A host function (boxed; its address is stable).
#[repr(C)]
pub(crate) struct HostFuncData {
    /// `VmHostFunc::call`: always [`host_call`]. Must stay the first field.
    pub call: *const u8,
    /// The function reference wasm sees (`Func` points here).
    pub funcref: VmFuncRef,
    /// Its type.
    pub ty: FuncType,
    /// The closure.
    pub func: HostFn,
}

impl HostFuncData {
    /// A boxed host function of type `ty`; `funcref.native_fn` stays null
    /// until a module imports it and supplies an adapter.
    pub fn new(ty: FuncType, type_id: u32, func: HostFn) -> Box<HostFuncData> {
        let mut data = Box::new(HostFuncData {
            call: host_call as *const () as *const u8,
            funcref: VmFuncRef {
                native_fn: std::ptr::null(),
                vmctx: std::ptr::null_mut(),
                type_id,
                _pad: 0,
            },
            ty,
            func,
        });
        data.funcref.vmctx = (&mut *data as *mut HostFuncData).cast();
        data
    }

    /// Calls the closure with decoded values (also used for host-to-host
    /// calls through [`crate::Store::call`]).
    pub fn invoke(&mut self, ctx: &mut HostContext, params: &[Val]) -> Result<Vec<Val>, Trap> {
        let mut results: Vec<Val> = self
            .ty
            .results
            .iter()
            .map(|t| Val::default_for(*t))
            .collect();
        (self.func)(ctx, params, &mut results)?;
        // Typed references too: wasm code relies on a `(ref $t)` result
        // being a non-null function of type `$t` (`call_ref` does not check).
        if results.len() != self.ty.results.len()
            || !results
                .iter()
                .zip(&self.ty.results)
                .all(|(v, t)| v.matches(*t))
        {
            return Err(Trap::host(HostReason::Error(
                "host function returned values of the wrong type".into(),
            )));
        }
        Ok(results)
    }
}

/// What a host function knows about its caller.
#[derive(Debug)]
pub struct HostContext {
    caller_vmctx: *mut u8,
}

impl HostContext {
    /// A context for a call whose caller has VM context `caller_vmctx`
    /// (null when the host calls the function directly).
    pub(crate) fn new(caller_vmctx: *mut u8) -> HostContext {
        HostContext { caller_vmctx }
    }

    /// The calling instance's VM context (null for direct host calls).
    pub fn caller_vmctx(&self) -> *mut u8 {
        self.caller_vmctx
    }

    /// The calling instance's memory 0, if it has one.
    pub fn memory(&mut self) -> Option<&mut [u8]> {
        if self.caller_vmctx.is_null() {
            return None;
        }
        // SAFETY: a non-null caller vmctx is a live instance's VM context
        // whose header starts with its `InstanceData` back pointer; wasm is
        // suspended while the host function runs, so nothing else touches
        // the memory while the slice lives (it borrows `self`).
        unsafe {
            let inst = *self
                .caller_vmctx
                .add(VMCTX_INSTANCE as usize)
                .cast::<*const InstanceData>();
            let mem = *(*inst).memories.first()?;
            Some((*mem).data_mut())
        }
    }
}

/// `VmHostFunc::call`: the entry host adapters call.
///
/// # Safety
///
/// Called only by generated host adapters: `host` is a live `HostFuncData`,
/// `values` holds `len >= max(params, results)` slots.
unsafe extern "C" fn host_call(
    host: *mut HostFuncData,
    caller_vmctx: *mut u8,
    values: *mut ValRaw,
    len: u32,
) -> u32 {
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: guaranteed by the adapter contract (see above).
        let data = unsafe { &mut *host };
        let needed = data.ty.params.len().max(data.ty.results.len());
        if (len as usize) < needed {
            return Err(Trap::host(HostReason::Error(
                "host call with too few value slots".into(),
            )));
        }
        // SAFETY: `values` has at least `needed` slots.
        let slots = unsafe { std::slice::from_raw_parts_mut(values, needed) };
        let params: Vec<Val> = data
            .ty
            .params
            .iter()
            .zip(slots.iter())
            .map(|(t, raw)| Val::from_raw(*t, raw))
            .collect();
        if !caller_vmctx.is_null() {
            // GC references handed to the host stay alive (the host may
            // keep them).
            // SAFETY: a non-null caller vmctx is a live instance's VM
            // context (see `HostContext::memory`); its store's GC heap
            // outlives it.
            unsafe {
                let inst = *caller_vmctx
                    .add(VMCTX_INSTANCE as usize)
                    .cast::<*const InstanceData>();
                let gc = &*(*inst).gc;
                params
                    .iter()
                    .for_each(|p| gc.root_for_host(p.to_ref_bits()));
            }
        }
        let mut ctx = HostContext::new(caller_vmctx);
        let results = data.invoke(&mut ctx, &params)?;
        for (slot, v) in slots.iter_mut().zip(&results) {
            *slot = v.to_raw();
        }
        Ok(())
    }));
    let trap = match result {
        Ok(Ok(())) => return 0,
        Ok(Err(trap)) => trap,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Trap::host(HostReason::Error(format!("host function panicked: {msg}")))
        }
    };
    set_pending_host_trap(trap);
    1
}
