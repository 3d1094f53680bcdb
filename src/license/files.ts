/**
 * Which files in a folder are licenses: by extension, without loading the parsers (the CLI lists a
 * folder's licenses before it needs them, and commands without a license never load them).
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';

export const LICENSE_EXTENSIONS: ReadonlySet<string> = new Set(['.txt', '.csv', '.shp', '.kml', '.kmz', '.geojson', '.json']);

/** The license files of a folder, sorted, as paths (none: an empty list, for the caller to refuse in its own words). */
export function licenseFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => LICENSE_EXTENSIONS.has(extname(n).toLowerCase()))
    .sort()
    .map((n) => join(dir, n));
}
