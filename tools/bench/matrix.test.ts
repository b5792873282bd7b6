import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../common/errors.js';
import { testVmsDir } from '../common/paths.js';
import { defaultMatrixPath, formatSizeLabel, loadMatrix, parseMatrix } from './matrix.js';

const file = path.join(testVmsDir, 'bench', 'test-matrix.json');

function minimal(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kernel: { base: '6.12', fragments: ['guest', 'erofs', 'initrd-erofs'], patches: true },
    manifest: '../guest/manifest.json',
    memoryMiB: 1024,
    bootTimeoutS: 120,
    boots: 3,
    sizes: ['0', '64M'],
    modes: [
      { name: 'cpio-gzip', initrd: { format: 'cpio', compress: 'gzip' } },
      { name: 'kernel-bdev', initrd: { format: 'erofs', compress: 'lz4hc' }, append: 'initrd_erofs_backend=bdev' },
    ],
    ...extra,
  };
}

function errorOf(json: unknown): string {
  try {
    parseMatrix(json, file);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('parseMatrix', () => {
  it('reads modes, sizes and defaults; manifests resolve against the matrix file', () => {
    const m = parseMatrix(minimal(), file);
    expect(m.sizes).toEqual([{ label: '0', bytes: 0 }, { label: '64M', bytes: 64 << 20 }]);
    expect(m.manifest).toBe(path.join(testVmsDir, 'guest', 'manifest.json'));
    expect(m.modes.map((x) => x.name)).toEqual(['cpio-gzip', 'kernel-bdev']);
    // Every mode boots the matrix's kernel and guest unless it says otherwise.
    expect(m.modes[1]!.kernel).toEqual({ base: '6.12', fragments: ['guest', 'erofs', 'initrd-erofs'], patches: true });
    expect(m.modes[0]!.initrd.manifest).toBe(m.manifest);
    expect(m.modes[1]!.append).toBe('initrd_erofs_backend=bdev');
  });

  it('a two-stage mode needs its first stage manifest; the disk keeps the guest', () => {
    const two = { name: 'two-stage', initrd: { format: 'cpio', compress: 'gzip' }, disk: { format: 'erofs', compress: 'lz4hc' } };
    expect(errorOf(minimal({ modes: [two] }))).toMatch(/^test-vms\/bench\/test-matrix\.json: modes\[0\] \(two-stage\)\.initrd\.manifest: a mode with a disk boots a first stage/);
    const m = parseMatrix(minimal({ modes: [{ ...two, initrd: { ...two.initrd, manifest: '../two-stage/manifest.json' } }] }), file);
    expect(m.modes[0]!.initrd.manifest).toBe(path.join(testVmsDir, 'two-stage', 'manifest.json'));
    expect(m.modes[0]!.disk).toEqual({ format: 'erofs', compress: 'lz4hc' });
  });

  it('names the file and entry of every error', () => {
    expect(errorOf(minimal({ sizs: [] }))).toBe(
      'test-vms/bench/test-matrix.json: unknown key "sizs" (valid: description, kernel, manifest, memoryMiB, bootTimeoutS, boots, icount, sizes, modes, read; keys starting with $ are comments)',
    );
    expect(errorOf(minimal({ sizes: ['64Q'] }))).toMatch(/test-matrix\.json: sizes\[0\]: expected a size .*, got "64Q"/);
    expect(errorOf(minimal({ boots: 0 }))).toMatch(/test-matrix\.json: boots: expected a whole number from 1 to 100, got 0/);
    expect(errorOf(minimal({ modes: [{ name: 'x', initrd: { format: 'squashfs' } }] }))).toMatch(/test-matrix\.json: modes\[0\] \(x\)\.initrd\.format: expected one of cpio, erofs, got "squashfs"/);
    expect(errorOf(minimal({ modes: [{ name: 'x', initrd: { format: 'cpio' }, apend: '' }] }))).toMatch(/test-matrix\.json: modes\[0\] \(x\): unknown key "apend"/);
    expect(errorOf(minimal({ modes: [{ name: 'Bad Name', initrd: { format: 'cpio' } }] }))).toMatch(/modes\[0\] \(Bad Name\)\.name: "Bad Name" must be lower case/);
    const dup = { name: 'a', initrd: { format: 'cpio' } };
    expect(errorOf(minimal({ modes: [dup, dup] }))).toMatch(/test-matrix\.json: modes\[1\] \(a\): two modes are named "a"/);
    expect(errorOf(minimal({ read: { size: '64M', modes: ['nope'] } }))).toMatch(/test-matrix\.json: read\.modes\[0\]: no mode is named "nope" \(modes: cpio-gzip, kernel-bdev\)/);
    expect(errorOf(minimal({ icount: 11 }))).toMatch(/test-matrix\.json: icount: expected an icount shift 0-10, "auto" or "off", got 11/);
    expect(parseMatrix(minimal({ icount: null }), file).icount).toBeUndefined();
    expect(parseMatrix(minimal({ icount: '3' }), file).icount).toBe(3);
    expect(errorOf(minimal({ read: { size: '0' } }))).toMatch(/test-matrix\.json: read\.size: the read case needs a payload/);
  });

  it('validates a mode\'s checks with the scenario parser before anything boots', () => {
    const bad = { name: 'x', initrd: { format: 'cpio' }, checks: [{ name: 'c', run: 'true', expect: { stdoutMatch: 'x' } }] };
    expect(errorOf(minimal({ modes: [bad] }))).toMatch(/test-matrix\.json: modes\[0\] \(x\)\.checks\[0\] \(c\)\.expect: unknown key "stdoutMatch"/);
  });

  it('a disabled mode keeps its reason', () => {
    const m = parseMatrix(minimal({ modes: [{ name: 'kernel-file', initrd: { format: 'erofs' }, disabled: 'not in the series yet' }] }), file);
    expect(m.modes[0]!.disabled).toBe('not in the series yet');
  });

  it('the committed matrix is valid and covers the issue\'s modes and sizes', async () => {
    const m = await loadMatrix(defaultMatrixPath);
    expect(m.sizes.map((s) => s.label)).toEqual(['0', '64M', '256M', '1G']);
    for (const name of ['cpio-none', 'cpio-gzip', 'cpio-zstd', 'cpio-lz4', 'two-stage', 'kernel-bdev']) {
      expect(m.modes.find((x) => x.name === name), name).toBeDefined();
    }
    expect(m.boots).toBeGreaterThanOrEqual(3);
    // One memory size for every cell, big enough for 1 GiB as an uncompressed cpio plus its unpacked copy.
    expect(m.memoryMiB).toBeGreaterThanOrEqual(2560);
  });
});

describe('formatSizeLabel', () => {
  it('prints the shortest exact binary unit', () => {
    expect(formatSizeLabel(0)).toBe('0');
    expect(formatSizeLabel(512 << 10)).toBe('512K');
    expect(formatSizeLabel(64 << 20)).toBe('64M');
    expect(formatSizeLabel(1 << 30)).toBe('1G');
    expect(formatSizeLabel(1000)).toBe('1000');
  });
});
