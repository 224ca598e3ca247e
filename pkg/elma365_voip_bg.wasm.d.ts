/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const resume: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => void;
export const settingsSchema: (a: number) => void;
export const start: (a: number, b: number, c: number, d: number, e: number, f: number) => void;
export const version: (a: number) => void;
export const __wbindgen_add_to_stack_pointer: (a: number) => number;
export const __wbindgen_malloc: (a: number, b: number) => number;
export const __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
export const __wbindgen_free: (a: number, b: number, c: number) => void;
