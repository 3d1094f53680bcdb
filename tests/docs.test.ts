/**
 * The documentation's examples run: every `npx greenmine …` line in the README
 * and docs/cli.md, run from a scratch folder that sees the repository's
 * fixtures (so outputs land there), exits 0. Files an example names exist.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = resolve('dist/src/cli/main.js');

function examples(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const m = /^(?:npm ci && )?npx greenmine (.*?)(?:\s+#.*)?$/.exec(line.trim());
      if (m) out.push(m[1]!);
    }
  }
  return out;
}

/** Split a shell line into words (the examples use no quotes or expansions). */
const words = (line: string): string[] => line.split(/\s+/).filter(Boolean);

describe('documentation examples', () => {
  const all = [...examples('README.md').map((e) => ['README.md', e] as const), ...examples('docs/cli.md').map((e) => ['docs/cli.md', e] as const)];

  it('there are examples for every command', () => {
    const commands = new Set(all.map(([, e]) => words(e)[0]));
    for (const c of ['audit', 'batch', 'merge', 'init', 'license', 'classify', 'coverage', 'slopes', 'soil', 'slope', 'dust', 'cameras', 'fence']) expect(commands.has(c), c).toBe(true);
  });

  it('every example names shipped files and exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-docs-'));
    symlinkSync(resolve('fixtures'), join(dir, 'fixtures'));
    for (const [doc, example] of all) {
      const args = words(example);
      for (const a of args.filter((w) => w.startsWith('fixtures/'))) expect(existsSync(resolve(a)), `${doc}: ${a}`).toBe(true);
      // init writes a draft beside the data: run it on a copy, never on the fixtures themselves.
      if (args[0] === 'init') {
        const copy = join(dir, `init-${args[1]!.replace(/\W+/g, '-')}`);
        cpSync(resolve(args[1]!), copy, { recursive: true });
        args[1] = copy;
      }
      try {
        execFileSync('node', [CLI, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      } catch (err) {
        throw new Error(`${doc}: greenmine ${example}\n${(err as { stderr?: string }).stderr ?? err}`);
      }
    }
  }, 240_000);
});
