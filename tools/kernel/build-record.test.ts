import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildMetadata } from './build.js';
import { buildDirOf, buildRecordBeside, buildRecordIn, readBuildRecord, readBuildRecordIfAny } from './build-record.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'iofs-build-record-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const build = '/c/builds/6.12-patched-912e9335bc4a';
const record: BuildMetadata = {
  base: '6.12',
  arch: 'x86_64',
  baseVersion: '6.12.117',
  variant: 'patched',
  tree: { path: '/c/trees/6.12', head: 'a'.repeat(40), baseRef: 'base-6.12', baseCommit: 'b'.repeat(40), commitsOnBase: 2, dirty: false },
  seriesHash: 'c'.repeat(64),
  seriesState: 'applied',
  fragments: [{ name: 'guest', path: '/r/kernel-patches/configs/guest.config', sha256: 'd'.repeat(64) }],
  configHash: 'e'.repeat(64),
  kernelRelease: '6.12.117',
  ccache: true,
  jobs: 2,
  reconfigured: false,
  durations: { configSeconds: 1.5, buildSeconds: 312.25 },
  artifacts: {
    bzImage: { path: `${build}/arch/x86/boot/bzImage`, bytes: 13_000_000 },
    vmlinux: { path: `${build}/vmlinux`, bytes: 0 },
    config: `${build}/.config`,
    buildLog: `${build}/build.log`,
  },
  finishedAt: '2026-12-02T10:00:00.000Z',
};

async function write(name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

describe('buildRecordBeside', () => {
  it('finds the record of an x86 bzImage and of an arm64 Image in their build directory', () => {
    expect(buildRecordBeside(`${build}/arch/x86/boot/bzImage`)).toBe(`${build}/iofs-build.json`);
    expect(buildRecordBeside('/c/builds/6.12-arm64-patched-1/arch/arm64/boot/Image')).toBe('/c/builds/6.12-arm64-patched-1/iofs-build.json');
    expect(buildRecordIn(build)).toBe(`${build}/iofs-build.json`);
    expect(buildDirOf(`${build}/arch/x86/boot/bzImage`)).toBe(build);
  });
});

describe('readBuildRecord', () => {
  it('reads a valid record as written', async () => {
    expect(await readBuildRecord(await write('valid.json', record))).toEqual(record);
  });

  it('reads a record from before arch and seriesState were recorded', async () => {
    const { arch: _a, seriesState: _s, ...old } = record;
    const read = await readBuildRecord(await write('old.json', old));
    expect(read.arch).toBeUndefined();
    expect(read.seriesState).toBeUndefined();
    expect(read.seriesHash).toBe(record.seriesHash);
  });

  it('takes a pristine record (seriesState null) and ignores keys a newer workbench added', async () => {
    const read = await readBuildRecord(await write('pristine.json', { ...record, variant: 'pristine', seriesState: null, later: 1 }));
    expect(read.seriesState).toBeNull();
    expect(read).not.toHaveProperty('later');
  });

  it('names the file and the key of a malformed record', async () => {
    const file = await write('bad.json', { ...record, tree: { ...record.tree, head: 3 } });
    await expect(readBuildRecord(file)).rejects.toThrow(`${file}: tree.head: expected a string, got 3`);
    const { durations: _d, ...noDurations } = record;
    await expect(readBuildRecord(await write('short.json', noDurations))).rejects.toThrow(/short\.json: durations: missing/);
    await expect(readBuildRecord(await write('cut.json', '{"base": "6.1'))).rejects.toThrow(/cut\.json: not valid JSON/);
  });

  it('says a missing file cannot be read', async () => {
    await expect(readBuildRecord(path.join(dir, 'none.json'))).rejects.toThrow(/none\.json: cannot read: ENOENT/);
  });
});

describe('readBuildRecordIfAny', () => {
  it('is undefined without a record (a kernel not built by iofs)', async () => {
    expect(await readBuildRecordIfAny(path.join(dir, 'none.json'))).toBeUndefined();
  });

  it('reads a record, and still refuses a malformed one', async () => {
    expect(await readBuildRecordIfAny(await write('valid2.json', record))).toEqual(record);
    const file = await write('bad2.json', { ...record, seriesState: 'stale' });
    await expect(readBuildRecordIfAny(file)).rejects.toThrow(`${file}: seriesState: expected one of applied, partial, base, diverged, got "stale"`);
  });
});
