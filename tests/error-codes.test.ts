/** The catalogue of codes is complete, has no stale entries, and docs/errors.md is generated from it. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorCatalogueMarkdown } from '../src/error-codes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? sources(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));

describe('error codes', () => {
  const text = sources(join(root, 'src'))
    .filter((f) => !f.endsWith('error-codes.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  // Quoted upper-case names with an underscore are codes, except GeoTIFF tag names (ESRI names in WKT are written in double quotes)
  // and Node's own error codes (ERR_…), which greenmine compares with and never raises.
  const used = new Set([...text.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)].map((m) => m[1]!).filter((c) => c !== 'GDAL_NODATA' && c !== 'GDAL_METADATA' && !c.startsWith('ERR_')));

  it('every code the library uses is in the catalogue, with a meaning and an action', () => {
    for (const code of used) expect(ERROR_CODES, code).toHaveProperty(code);
    for (const [code, [meaning, action]] of Object.entries(ERROR_CODES)) {
      expect(meaning.length, code).toBeGreaterThan(10);
      expect(action.length, code).toBeGreaterThan(3);
    }
  });

  it('every catalogued code is used somewhere', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(used.has(code) || text.includes(`'${code}'`), code).toBe(true);
  });

  it('docs/errors.md is the generated catalogue (node scripts/errors-doc.mjs after a build)', () => {
    expect(readFileSync(join(root, 'docs/errors.md'), 'utf8')).toBe(errorCatalogueMarkdown());
  });
});

describe('the option table', () => {
  it('schemas/mine.schema.json carries exactly the generated thresholds (node scripts/schema.mjs after a build)', async () => {
    const { thresholdsSchema, DEFAULT_THRESHOLDS, THRESHOLD_OPTIONS } = await import('../src/audit/options.js');
    const schema = JSON.parse(readFileSync(join(root, 'schemas/mine.schema.json'), 'utf8'));
    expect(schema.properties.thresholds).toEqual(thresholdsSchema());
    expect(JSON.parse(readFileSync(join(root, 'schemas/serve.schema.json'), 'utf8')).properties.thresholds).toEqual(thresholdsSchema());
    expect(Object.keys(DEFAULT_THRESHOLDS)).toEqual(Object.keys(THRESHOLD_OPTIONS));
  });

  it('a CLI flag that sets a threshold takes its range and default from the table', async () => {
    const { numberOption } = await import('../src/cli/args.js');
    const { DEFAULT_THRESHOLDS } = await import('../src/audit/options.js');
    expect(numberOption(undefined, '--tolerance')).toBe(DEFAULT_THRESHOLDS.fenceToleranceM);
    expect(numberOption(undefined, '--min-thickness')).toBe(DEFAULT_THRESHOLDS.minSoilM);
    expect(() => numberOption('91', '--min-slope')).toThrow(/≤ 90/);
    expect(() => numberOption('2.5', '--limit')).toThrow(/whole number/);
  });
});
