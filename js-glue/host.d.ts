// For the standalone type check of js-glue/shim.ts only (js-glue/tsconfig.json): the one name the
// bundle defines above the shim (scripts/build.js). The shim declares nothing of the host: it reads
// the host's globals by name in `hostGlobals()`, and its types are its own.

/** Provided by the bundle (scripts/build.js): the core, compiled once, instantiated on demand. */
declare const __elma365voipCore: {
  instantiate(onTrap: (error: unknown) => void, mark?: (phase: string) => void): Elma365VoipCore;
  /** Whether the host's scripts have no WebAssembly at all. */
  wasmMissing(): boolean;
};

// ELMA365's documented types in the six contract signatures (the full declarations, as the strict
// check of the whole script uses them, are in tests/fixtures/elma365/globals.d.ts).
interface VoipTestConnectionResult { success: boolean; failReason?: string }
interface VoipMember { id: string; name: string }
interface FetchRequest { method?: string; headers?: Record<string, string>; body?: string | unknown; query?: Record<string, string | string[]> }
interface VoipWebhookParseResult { event?: unknown; callRecord?: unknown; response?: unknown }
