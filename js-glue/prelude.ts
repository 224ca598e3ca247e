  /* UTF-8 TextEncoder/TextDecoder for hosts that lack them (a bare V8 8.4 context has neither).
     The host's own classes are used when present; nothing global is assigned or replaced. */
  const TextEncoder: new () => { encode(text?: string): Uint8Array; [more: string]: any } = HostTextEncoder || class {
    encode(text?: string): Uint8Array {
      const s = String(text === undefined ? '' : text);
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        let c = s.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
          const d = s.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
        }
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        if (c < 0x80) out.push(c);
        else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
        else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      }
      return new Uint8Array(out);
    }
  };
  const TextDecoder: new (label?: string, options?: object) => { decode(bytes?: Uint8Array): string } = HostTextDecoder || class {
    decode(bytes?: Uint8Array): string {
      if (bytes === undefined) return '';
      let ascii = 0;
      while (ascii < bytes.length && bytes[ascii] < 0x80) ascii++;
      if (ascii === bytes.length) {
        // ASCII (what the core mostly sends): straight to char codes, no UTF-8 decoding.
        let text = '';
        for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
        return text;
      }
      const units: number[] = [];
      let out = '';
      for (let i = 0; i < bytes.length;) {
        const b = bytes[i++];
        let c: number;
        if (b < 0x80) c = b;
        else if (b >= 0xf0) c = ((b & 7) << 18) | ((bytes[i++] & 63) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63);
        else if (b >= 0xe0) c = ((b & 15) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63);
        else c = ((b & 31) << 6) | (bytes[i++] & 63);
        if (c >= 0x10000) { c -= 0x10000; units.push(0xd800 + (c >> 10), 0xdc00 + (c & 1023)); } else units.push(c);
        if (units.length > 8192) { out += String.fromCharCode.apply(null, units); units.length = 0; }
      }
      return out + String.fromCharCode.apply(null, units);
    }
  };

  /* ---- unpacking the embedded wasm (the WebAssembly build only; scripts/build.js cuts the no-wasm build here) ---- */
  /** Copies the characters of an ASCII string into `heap` at `at`, one byte each: natively by the host's own
      `TextEncoder.encodeInto` where it has one (0.4-1 ms instead of 4-7 ms of interpreted loop for the core's text),
      else one `charCodeAt` a character (a bare host has no TextEncoder). */
  function copyChars(text: string, heap: Uint8Array, at: number): void {
    if (HostTextEncoder) {
      try {
        const done = new HostTextEncoder().encodeInto(text, heap.subarray(at));
        if (done && done.read === text.length && done.written === text.length) return;
      } catch (e) { /* a host's encoder that is not the standard one: the loop below */ }
    }
    for (let i = 0, n = text.length; i < n; i++) heap[at + i] = text.charCodeAt(i);
  }

  /** Grows a wasm memory to at least `bytes`. */
  function reserve(memory: Elma365VoipWasmMemory, bytes: number): void {
    const missing = bytes - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  }

  /**
   * The core's wasm bytes from the embedded text, with one plain JS loop and everything else native:
   * `text` is the base93 of the unpacker (its first `unpackerChars` characters, `unpackerSize` bytes) followed by
   * the base93 of the core packed as one Zstandard frame (`packedSize` bytes). The text is copied into the memory of
   * stage 0 (loader/stage0.wat, a wasm of a few hundred bytes, given as `stage0` bytes) which decodes both parts in
   * place; the unpacker (loader/, a small Zstandard decoder that checks the frame's checksum) then decodes the core
   * into exactly `size` bytes, a block (at least 16 KiB) a call. `tick(phase)` marks each phase's end (the decoding's phase keeps its old name, 'inflate',
   * which the benchmark reports).
   */
  function unpackCore(stage0: number[], text: string, unpackerChars: number, unpackerSize: number, packedSize: number, size: number, tick: (phase: string) => void): Uint8Array {
    const s0 = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(stage0)), {}).exports as { memory: Elma365VoipWasmMemory; decode(at: number, chars: number): number };
    const at = 0;
    reserve(s0.memory, at + text.length);
    copyChars(text, new Uint8Array(s0.memory.buffer), at);
    tick('copy');
    const unpackerLength = Math.min(unpackerSize, s0.decode(at, unpackerChars));
    const packedLength = Math.min(packedSize, s0.decode(at + unpackerChars, text.length - unpackerChars));
    tick('base93');
    const unpacker = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(s0.memory.buffer, at, unpackerLength)), {}).exports as {
      memory: Elma365VoipWasmMemory; __heap_base: { value: number }; start(src: number, length: number, dst: number, size: number): number; step(limit: number): number;
    };
    tick('unpacker');
    const src = (unpacker.__heap_base.value + 15) & ~15;
    const dst = (src + packedLength + 15) & ~15;
    reserve(unpacker.memory, dst + size);
    new Uint8Array(unpacker.memory.buffer).set(new Uint8Array(s0.memory.buffer, at + unpackerChars, packedLength), src);
    /* In parts of 16 KiB, not in one call: a wasm call runs the code it started in to its end, so only calls after
       the first can run V8's optimised code for the decoder (on Node 14.16 ~11-13 ms for the whole, instead of ~18). */
    let length = unpacker.start(src, packedLength, dst, size);
    while (length >= 0 && length < size) length = unpacker.step(length + 16384);
    tick('inflate');
    if (length !== size) throw new Error('elma365-voip: the embedded core is damaged (unpacked ' + length + ' of ' + size + ' bytes)');
    return new Uint8Array(unpacker.memory.buffer, dst, size);
  }
