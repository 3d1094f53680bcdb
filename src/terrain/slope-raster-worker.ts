/** The worker thread of writeSlopeRaster: the slope bands of one range of columns, on request. */
import '../io/worker-shim.js';
import { parentPort, workerData } from 'node:worker_threads';
import { GreenmineError } from '../errors.js';
import { BandTiles } from '../raster/predict.js';
import { RasterReader } from '../raster/reader.js';
import { SlopeRows } from './slope.js';
import { NODATA, predictedTiles, type SlopeBandJob, slopeBand } from './slope-raster.js';

const job = workerData as SlopeBandJob;
const reader = await RasterReader.open(job.demPath);
const slopes = new SlopeRows(reader, job.algorithm, job.colStart, job.colEnd, NODATA);
// Requests come in order; each is answered before the next is read, so the bands stay in order.
let queue = Promise.resolve();
const band = new Float32Array((job.colEnd - job.colStart) * 256);
const kernel = BandTiles.create(job.colEnd - job.colStart, 256, NODATA);
parentPort!.on('message', (m: { ty: number }) => {
  queue = queue.then(async () => {
    try {
      await slopeBand(slopes, m.ty, job.colStart, job.colEnd, band);
      const tiles = predictedTiles(band, job.colEnd - job.colStart, kernel);
      parentPort!.postMessage(
        { ty: m.ty, tiles },
        tiles.map((t) => t.buffer as ArrayBuffer),
      );
    } catch (err) {
      parentPort!.postMessage({ ty: m.ty, error: err instanceof GreenmineError ? { code: err.code, message: err.message } : { code: 'TERRAIN_WORKER', message: (err as Error).message } });
    }
  });
});
