// Writes the `thresholds` part of schemas/mine.schema.json and schemas/serve.schema.json from the option table in src/audit/options.ts (run after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { thresholdsSchema } from '../dist/src/audit/options.js';

for (const name of ['mine', 'serve']) {
  const url = new URL(`../schemas/${name}.schema.json`, import.meta.url);
  const schema = JSON.parse(readFileSync(url, 'utf8'));
  schema.properties.thresholds = thresholdsSchema();
  writeFileSync(url, `${JSON.stringify(schema, null, 2)}\n`);
}
