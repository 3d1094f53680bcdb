/**
 * slope.wat's interior loop, called from slopeRow: the three DEM rows are copied into the kernel's
 * memory (four row copies, about 1 ns per pixel; the kernel's scratch follows them) and the row computed there, operation for operation
 * as the JavaScript loop (the same float32 results; tested). See src/io/wasm.ts for why.
 */
import { ensureMemory, instantiateKernel, type KernelMemory } from '../io/wasm.js';
import { SLOPE_WASM } from './slope.wasm.js';

interface SlopeExports {
  memory: KernelMemory;
  slope_row(above: number, row: number, below: number, out: number, tmp: number, c0: number, c1: number, ewresM: number, nsresM: number, horn: number, missing: number): void;
}
let kernel: SlopeExports | null | undefined;

/**
 * Columns 1 … W − 2 of a slope row into `out` (W = row.length ≥ 3), `missing` where there is no
 * slope; false when WebAssembly is not available (the caller's loop runs instead).
 */
export function slopeInterior(above: Float32Array, row: Float32Array, below: Float32Array, ewresM: number, nsresM: number, horn: boolean, out: Float32Array, missing: number): boolean {
  kernel ??= instantiateKernel<SlopeExports>(SLOPE_WASM);
  if (!kernel) return false;
  const W = row.length;
  const f32 = new Float32Array(ensureMemory(kernel.memory, 24 * W), 0, 4 * W);
  f32.set(above, 0);
  f32.set(row, W);
  f32.set(below, 2 * W);
  kernel.slope_row(0, 4 * W, 8 * W, 12 * W, 16 * W, 1, W - 1, ewresM, nsresM, horn ? 1 : 0, missing);
  out.set(f32.subarray(3 * W + 1, 4 * W - 1), 1);
  return true;
}
