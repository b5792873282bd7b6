/**
 * Core tier: the robot's cheap cell on the working tree's series, the
 * configurations robot.json marks "core" (the distributions' modular build:
 * EROFS_FS=m, OVERLAY_FS=m, INITRD_EROFS=n), at the base and with the whole
 * series, W=1 and sparse on. The series v2 failed exactly here (patch 1
 * redefined erofs_is_image() when EROFS is a module); the full tier
 * (robot.int) runs every configuration at every patch, with the docs and
 * coccinelle columns this cell leaves out for time (about a minute and a
 * half; tools/robot/lint.test.ts runs both tools for real).
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir } from '../common/paths.js';
import { getBase, patchesDir, prepareTree, primaryBaseName } from '../kernel/index.js';
import { loadRobotConfigs, runRobot } from './index.js';

describe('robot, core configurations, base and tip', () => {
  it('the series builds as a distribution builds it, with no new W=1 or sparse warning', async () => {
    const base = await getBase(await primaryBaseName());
    const source = await prepareTree(base);
    const configs = (await loadRobotConfigs()).filter((c) => c.core);
    expect(configs.map((c) => c.name)).toContain('modules');
    const record = await runRobot({ base, source, seriesDir: patchesDir(base), revision: 'working tree', configs, root: path.join(cacheDir(), 'robot'), jobs: os.availableParallelism(), tipOnly: true, lint: false });
    const tip = record.patches.length - 1;
    const at = (patch: number, check: string) => record.cells.find((c) => c.patch === patch && c.check === check);
    expect(record.failed, JSON.stringify(record.cells.filter((c) => c.status === 'fail'), null, 2)).toEqual([]);
    for (const check of ['build:modules', 'warnings:modules']) {
      expect(at(0, check)?.status).toBe('pass');
      expect(at(tip, check)?.status).toBe('pass');
    }
    // The modular EROFS object was really compiled, with the series' helper in it.
    expect(at(tip, 'build:modules')?.summary).toContain('fs/erofs/super.o');
  }, 1_800_000);
});
