/* gctrees: binarytrees (../binarytrees) written with WebAssembly GC structs
 * in gctrees.wat instead of malloc and free in linear memory.  The native
 * baseline is the same C program as binarytrees; the module is the text
 * format, which both waot and wasmtime read directly.  Prints
 * "ok <total nodes checked>". */
#include "../binarytrees/binarytrees.c"
