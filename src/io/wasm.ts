/**
 * The project's WebAssembly kernels (hand-written .wat, assembled by scripts/assemble-wasm.mjs into
 * base64 modules): instantiated once per thread, on first use, with one memory each that grows to the
 * largest call seen. Every kernel has a JavaScript twin that runs where WebAssembly cannot (e.g. under
 * `ulimit -v`, where V8's guard regions do not fit); the tests run both.
 *
 * Why WebAssembly here: in V8's optimised code a loop over several typed arrays re-checks each array
 * (its map, length and data pointer) on every iteration, and the pixel loops below touch five to
 * seven arrays; WebAssembly has one memory and no such checks. Measured on the same data: the slope
 * loop 23 → 8 ns per pixel, the orthophoto classifier 6–9 → 2 ns per pixel.
 */

// The few WebAssembly names used here (the project's lib has no DOM or WebAssembly typings).
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: unknown };
};

export interface KernelMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A kernel's exports, or null where this runtime cannot run it (the caller's JavaScript twin runs instead). */
export function instantiateKernel<T extends { memory: KernelMemory }>(base64: string, imports?: object): T | null {
  if (process.env.GREENMINE_NO_WASM === '1') return null;
  const bytes = Buffer.from(base64, 'base64');
  try {
    return WebAssembly.validate(bytes) ? (new WebAssembly.Instance(new WebAssembly.Module(bytes), imports).exports as T) : null;
  } catch {
    // No room for a WebAssembly memory (e.g. under `ulimit -v`): the JavaScript twin runs.
    return null;
  }
}

/** At least `bytes` of the kernel's memory (grown in 64 KiB pages; views made before a growth are stale afterwards). */
export function ensureMemory(memory: KernelMemory, bytes: number): ArrayBuffer {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
  return memory.buffer;
}
