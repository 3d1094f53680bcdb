/**
 * npm run bench            full size (10 000 licenses)
 * BENCH_SIZE=small npm run bench   CI size, so the benchmarks cannot rot
 */
import os from 'node:os';
import { benchFence } from './fence.js';
import { benchLicenses } from './license.js';
import { sink } from './harness.js';

const small = process.env.BENCH_SIZE === 'small';
console.log(`greenmine benchmarks — Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${small ? 'small' : 'full'} size`);
await benchLicenses(small ? 1000 : 10_000);
await benchFence(small ? 200 : 2000, small ? 100_000 : 1_000_000);
console.log(`\n(sink ${sink.toExponential(3)})`);
