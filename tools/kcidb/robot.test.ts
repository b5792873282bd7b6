import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelPatchesDir } from '../common/paths.js';
import { loadRobotRecord } from '../robot/index.js';
import { kcidbFromRobot } from './robot.js';
import { kcidbProblems } from './schema.js';

const ctx = { origin: 'iofs', cacheRoot: '/c' };

describe('kcidbFromRobot', () => {
  it("maps the committed v2 record: a checkout per tree, a build per configuration, patch 1's modular failure as a FAIL build", async () => {
    const record = await loadRobotRecord(path.join(kernelPatchesDir, 'robot', 'records', 'v2.json'));
    const n = record.patches.length - 1;
    const patchFiles = record.patches.slice(1).map((p) => `/s/${p}`);
    const prefixHashes = ['', ...patchFiles.map((_, i) => `${String(i + 1).padStart(2, '0')}`.padEnd(64, 'a'))];
    const doc = kcidbFromRobot(record, { patchFiles, prefixHashes }, ctx);
    expect(await kcidbProblems(doc)).toEqual([]);
    expect(doc.checkouts).toHaveLength(n + 1);
    expect(doc.checkouts[0]?.patchset_hash).toBe('');
    expect(doc.checkouts[2]?.patchset_files?.map((f) => f.name)).toEqual(record.patches.slice(1, 3));
    const modular = doc.builds.find((b) => b.config_name === 'modules' && b.checkout_id === doc.checkouts[1]?.id);
    expect(modular?.status).toBe('FAIL');
    expect(modular?.comment).toMatch(/redefinition of .erofs_is_image./);
    // The tree-wide checks hang on each tree's first build.
    const checkpatch = doc.tests.filter((t) => t.path === 'iofs.robot.checkpatch');
    expect(checkpatch).toHaveLength(n);
    expect(new Set(doc.tests.map((t) => t.id)).size).toBe(doc.tests.length);
  });
});
