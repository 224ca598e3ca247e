/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const call: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => number;
export const settingsSchema: (a: number) => void;
export const version: (a: number) => void;
export const wasm_bindgen__convert__closures_____invoke__h89a7ba0424003606: (a: number, b: number, c: number, d: number) => void;
export const wasm_bindgen__convert__closures_____invoke__h8e2b1492ad19ef3c: (a: number, b: number, c: number, d: number) => void;
export const __wbindgen_malloc: (a: number, b: number) => number;
export const __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
export const __wbindgen_exn_store: (a: number) => void;
export const __wbindgen_destroy_closure: (a: number, b: number) => void;
export const __wbindgen_add_to_stack_pointer: (a: number) => number;
export const __wbindgen_free: (a: number, b: number, c: number) => void;
