/**
 * The folders under tools/ form layers, and imports only point down:
 *   common -> initrd, git -> kernel, patches -> distro -> vm -> workflows (status, bisect,
 *   bench, fuzz, report, lava) -> kcidb (maps the workflows' results) -> cli
 * Tests may reach anywhere (a data-file test parses every data file).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './common/paths.js';

const LAYERS: string[][] = [['common'], ['initrd', 'git'], ['kernel', 'patches'], ['distro'], ['vm'], ['status', 'bisect', 'bench', 'fuzz', 'report', 'lava', 'robot'], ['kcidb'], ['cli']];
// Within a layer, only these edges (the later folder builds on the earlier).
const SAME_LAYER: Array<[string, string]> = [['patches', 'kernel'], ['status', 'robot']];

const layerOf = (folder: string): number => LAYERS.findIndex((l) => l.includes(folder));
const tools = path.join(repoRoot, 'tools');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.startsWith('testutil') ? [p] : [];
  });
}

describe('tools/ layers', () => {
  it('every folder is in a layer, and no source file imports a folder above or beside its own', () => {
    const folders = readdirSync(tools, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'node_modules').map((e) => e.name);
    expect(folders.filter((f) => layerOf(f) < 0)).toEqual([]);
    const wrong: string[] = [];
    let seen = 0;
    for (const file of sources(tools)) {
      const rel = path.relative(tools, file);
      const from = rel.split(path.sep)[0] as string;
      if (!folders.includes(from)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/from '\.\.\/(?:\.\.\/)?([a-z-]+)\//g)) {
        const to = m[1] as string;
        if (to === from || !folders.includes(to)) continue;
        seen++;
        const ok = layerOf(to) < layerOf(from) || SAME_LAYER.some(([a, b]) => a === from && b === to);
        if (!ok) wrong.push(`${rel} imports ${to}/`);
      }
    }
    expect(seen, 'cross-folder imports found (the scan must see them)').toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });
});

/**
 * Every subprocess goes through tools/common/process.ts (run()): one "not
 * installed" message, one failure format. These files still call execa
 * directly and are being moved over; the list may only shrink.
 */
const DIRECT_EXECA = [
  'git/apply.ts', 'git/git.ts', 'initrd/compress.ts', 'initrd/segments.ts', 'kernel/build.ts', 'kernel/tree.ts', 'patches/format.ts',
  'patches/range-diff.ts', 'patches/sender.ts', 'patches/worktree.ts', 'vm/boot.ts', 'vm/qemu.ts',
];

describe('subprocesses', () => {
  it('no file but common/process.ts and the shrinking list calls execa directly', () => {
    const direct = sources(tools)
      .filter((f) => /from 'execa'/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(tools, f))
      .filter((f) => f !== path.join('common', 'process.ts'));
    expect(direct.filter((f) => !DIRECT_EXECA.includes(f))).toEqual([]);
  });
});
