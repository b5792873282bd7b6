import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { companionsFile, compileCommand, kconfigCommands, loadCompanions } from './companions.js';

async function companionsError(data: unknown): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-companions-'));
  const file = path.join(dir, 'companions.json');
  await fs.writeFile(file, JSON.stringify(data));
  try {
    await loadCompanions(file);
    return 'no error';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('companions', () => {
  it('the committed file names the three handover tools', async () => {
    const all = await loadCompanions(companionsFile);
    expect([...all.keys()].sort()).toEqual(['busybox', 'klibc', 'util-linux']);
    expect(all.get('klibc')).toMatchObject({ debianSource: 'klibc', tool: 'run-init', build: { kind: 'klcc' } });
  });

  it('compiles a static binary from the package sources, out of the source tree', () => {
    const argv = compileCommand({ kind: 'gcc', sources: ['sys-utils/switch_root.c'], includes: ['include'], defines: ['_GNU_SOURCE', 'X="a b"'] }, '/s', '/o/switch_root');
    expect(argv).toEqual(['gcc', '-static', '-O2', '-D_GNU_SOURCE', '-DX="a b"', '-I/s/include', '-o', '/o/switch_root', '/s/sys-utils/switch_root.c']);
    expect(compileCommand({ kind: 'klcc', sources: ['a.c'], includes: [], defines: [] }, '/s', '/o/t')[0]).toBe('klcc');
  });

  it('builds a kconfig tree with the package config, out of tree', () => {
    expect(kconfigCommands({ kind: 'kconfig', config: 'debian/config/pkg/static', target: 'busybox' }, '/s', '/o', 2)).toEqual([
      ['cp', '/s/debian/config/pkg/static', '/o/.config'],
      ['make', '-C', '/s', 'O=/o', 'oldconfig'],
      ['make', '-C', '/s', 'O=/o', '-j2', 'busybox'],
    ]);
  });

  it('names the file and the key of a bad entry', async () => {
    const ok = { debianSource: 'x', debianVersion: '1', tool: 't', build: { kind: 'gcc', sources: ['a.c'] } };
    expect(await companionsError({ companions: { x: { ...ok, build: { kind: 'cmake' } } } })).toMatch(/companions\.json: companions\.x\.build: kind: one of klcc, gcc, kconfig/);
    expect(await companionsError({ companions: { x: { ...ok, build: { kind: 'gcc', sources: [] } } } })).toMatch(/companions\.x\.build\.sources: expected a non-empty list/);
    expect(await companionsError({ companions: { X: ok } })).toMatch(/companions\.json: companions.*lower-case name/);
    expect(await companionsError({ companions: { x: { ...ok, debianVersion: '' } } })).toMatch(/companions\.x\.debianVersion/);
  });
});
