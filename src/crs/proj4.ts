/**
 * proj4, loaded on first use: commands that transform nothing (a classification without a license, a
 * slope raster) never load it, and its CommonJS build loads in a third of the time of its ES modules
 * (30 ms against 100: one file against a hundred).
 */
import { createRequire } from 'node:module';
import type proj4Type from 'proj4';

const require = createRequire(import.meta.url);
let loaded: typeof proj4Type | undefined;

export function proj4(): typeof proj4Type {
  loaded ??= require('proj4') as typeof proj4Type;
  return loaded;
}
