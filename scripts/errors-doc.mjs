// Writes docs/errors.md from the catalogue in src/error-codes.ts (run after `npm run build`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { errorCatalogueMarkdown } from '../dist/src/error-codes.js';

mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
writeFileSync(new URL('../docs/errors.md', import.meta.url), errorCatalogueMarkdown());
