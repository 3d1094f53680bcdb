/**
 * The project's WebAssembly kernels (hand-written .wat, assembled by scripts/assemble-wasm.mjs into
 * base64 modules): compiled once per thread, instantiated on first use (or per call, where a call
 * needs a memory of its own), with one memory each that grows to the largest call seen. Every kernel
 * has a JavaScript twin that runs where WebAssembly cannot (e.g. under `ulimit -v`, where V8's guard
 * regions do not fit, or with GREENMINE_NO_WASM=1); the tests compare the two bit for bit.
 *
 * Why WebAssembly here: in V8's optimised code a loop over several typed arrays re-checks each array
 * (its map, length and data pointer) on every iteration, and the pixel loops below touch five to
 * seven arrays; WebAssembly has one memory and no such checks, and SIMD lanes besides. Measured on the
 * same data: the slope row 28 → 12 ns per pixel, the floating-point predictor 6 → 0.5 ns per sample,
 * the orthophoto classifier 6–9 → 2 ns per pixel.
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

const modules = new Map<string, object | null>();

/** A new instance of a kernel (its own memory), or null where this runtime cannot run it (the caller's JavaScript twin runs instead). */
export function instantiateKernel<T extends { memory: KernelMemory }>(base64: string, imports?: object): T | null {
  if (process.env.GREENMINE_NO_WASM === '1') return null;
  try {
    let module = modules.get(base64);
    if (module === undefined) {
      const bytes = Buffer.from(base64, 'base64');
      module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
      modules.set(base64, module);
    }
    return module ? (new WebAssembly.Instance(module, imports).exports as T) : null;
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
