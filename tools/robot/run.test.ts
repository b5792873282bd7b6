import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelPatchesDir } from '../common/paths.js';
import { loadRobotRecord } from './record.js';
import { findRobotRecord, robotVerdict, type RobotRecord } from './run.js';

const v2 = (): Promise<RobotRecord> => loadRobotRecord(path.join(kernelPatchesDir, 'robot', 'records', 'v2.json'));

describe('robotVerdict', () => {
  it('names the failing patches and their checks', async () => {
    const r = await v2();
    expect(robotVerdict(r)).toMatchObject({ green: false });
    expect(robotVerdict(r).summary).toMatch(/^patch 1: .*build:modules/);
    expect(robotVerdict({ ...r, failed: [] })).toEqual({ green: true, summary: `every patch passes ${r.checks.length} checks (${r.patches.length} trees)` });
  });
});

describe('findRobotRecord', () => {
  it('takes the newest whole run of this base whose series hash matches; not a --tip-only run, not another series', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-robot-'));
    const committed = path.join(root, 'committed');
    await fs.mkdir(committed);
    const base = await v2();
    const put = async (dir: string, r: RobotRecord): Promise<string> => {
      await fs.mkdir(dir, { recursive: true });
      const file = dir === committed ? path.join(dir, `${r.startedAt}.json`) : path.join(dir, 'record.json');
      await fs.writeFile(file, JSON.stringify(r));
      return file;
    };
    const hash = 'a'.repeat(64);
    const n = base.patches.length - 1;
    expect(await findRobotRecord(root, '7.3', hash, committed)).toBeUndefined();
    const older = await put(committed, { ...base, seriesHash: hash, startedAt: '2026-12-01T00:00:00.000Z' });
    await put(path.join(root, 'runs', 'other'), { ...base, seriesHash: 'b'.repeat(64), startedAt: '2026-12-09T00:00:00.000Z' });
    const tipOnly = { ...base, seriesHash: hash, startedAt: '2026-12-08T00:00:00.000Z', cells: base.cells.filter((c) => c.patch === 0 || c.patch === n) };
    await put(path.join(root, 'runs', 'tip'), tipOnly);
    expect((await findRobotRecord(root, '7.3', hash, committed))?.file).toBe(older);
    const newer = await put(path.join(root, 'runs', 'new'), { ...base, seriesHash: hash, startedAt: '2026-12-07T00:00:00.000Z' });
    expect((await findRobotRecord(root, '7.3', hash, committed))?.file).toBe(newer);
    expect(await findRobotRecord(root, '6.12', hash, committed)).toBeUndefined();
    await fs.rm(root, { recursive: true, force: true });
  });
});
