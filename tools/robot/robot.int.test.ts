/**
 * Full tier: the build robot as a kernel developer runs it before posting.
 * The working tree's series passes every configuration of robot.json at
 * every patch, its KUnit tests included; the series v2 (as it stood at
 * 5d46235) fails on patch 1 in the distributions' modular build, naming the
 * error, as its committed record (kernel-patches/robot/records/v2.json) says.
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir } from '../common/paths.js';
import { getBase, patchesDir, prepareTree, primaryBaseName } from '../kernel/index.js';
import { loadRobotConfigs, loadRobotKunit, robotRecordsDir, loadRobotRecord, runRobot, seriesAtRevision } from './index.js';

const root = path.join(cacheDir(), 'robot');
const jobs = os.availableParallelism();

describe('robot', () => {
  it('passes every patch of the working series in every configuration, KUnit included', async () => {
    const base = await getBase(await primaryBaseName());
    const record = await runRobot({
      base,
      source: await prepareTree(base),
      seriesDir: patchesDir(base),
      revision: 'working tree',
      configs: await loadRobotConfigs(),
      kunit: await loadRobotKunit(),
      root,
      jobs,
    });
    expect(record.failed, JSON.stringify(record.cells.filter((c) => c.status === 'fail'), null, 2)).toEqual([]);
    const kunit = record.cells.filter((c) => c.check === 'kunit' && c.status === 'pass');
    expect(kunit.length).toBeGreaterThan(0);
  }, 7_200_000);

  it('fails the v2 series on patch 1 in the modular build, as its record says', async () => {
    const base = await getBase(await primaryBaseName());
    const v2 = await seriesAtRevision('5d46235', base.patches, root);
    const configs = (await loadRobotConfigs()).filter((c) => c.name === 'modules');
    const record = await runRobot({ base, source: await prepareTree(base), seriesDir: v2.dir, revision: v2.revision, configs, root, jobs });
    const cell = record.cells.find((c) => c.patch === 1 && c.check === 'build:modules');
    expect(cell?.status).toBe('fail');
    expect(cell?.details?.join('\n')).toMatch(/fs\/erofs\/super\.c:\d+:\d+: error: redefinition of .erofs_is_image/);
    const committed = await loadRobotRecord(path.join(robotRecordsDir, 'v2.json'));
    expect(committed.failed[0]).toBe(1);
    expect(committed.cells.find((c) => c.patch === 1 && c.check === 'build:modules')?.details?.join('\n')).toMatch(/redefinition of .erofs_is_image/);
  }, 3_600_000);
});
