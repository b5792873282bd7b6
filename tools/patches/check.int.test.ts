/**
 * checkSeries (what `iofs patches check` runs) with the real
 * scripts/checkpatch.pl of the primary base's prepared tree
 * (<cache>/trees/<base>, prepared here if it is not yet, as
 * tools/kernel/kernel.int.test.ts does): a clean patch passes --strict with
 * nothing reported, a deliberately bad one is reported by checkpatch's
 * error names. The patches are made in a small git repository beside it;
 * checkpatch reads patch files, it does not apply them.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBase, prepareTree, primaryBaseName, type KernelTree } from '../kernel/index.js';
import { checkSeries, exportSeries, type PatchCheck, type SeriesTree } from './index.js';
import { testGit as git } from './testutil.js';

let kernelTree: KernelTree;
let work: string;
/** Series directories exported from the small repository: the clean patch then the bad one, and the clean one alone. */
let both: string;
let goodOnly: string;

const COUNTER = '// SPDX-License-Identifier: GPL-2.0\n\nstatic int count;\n\nint next_count(void)\n{\n\treturn ++count;\n}\n';
const GOOD = `${COUNTER}\nint last_count(void)\n{\n\treturn count;\n}\n`;
// Trailing blanks and the brace on the function's line; the commit has no Signed-off-by.
const BAD = `${GOOD}\nint reset_count(void) {  \n\tcount = 0;\n\treturn 0;\n}\n`;

/** checkpatch's findings as SEVERITY:TYPE (it runs with --show-types), sorted. */
const findings = (p: PatchCheck): string[] => [...p.output.matchAll(/^(ERROR|WARNING|CHECK):([A-Z0-9_]+):/gm)].map((m) => `${m[1]}:${m[2]}`).sort();

beforeAll(async () => {
  kernelTree = await prepareTree(await getBase(await primaryBaseName()));
  work = await mkdtemp(path.join(os.tmpdir(), 'iofs-checkpatch-'));
  const dir = path.join(work, 'repo');
  await mkdir(path.join(dir, 'init'), { recursive: true });
  await git(dir, 'init', '-q', '-b', 'main');
  await writeFile(path.join(dir, 'init', 'counter.c'), COUNTER);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'base');
  await git(dir, 'tag', 'base');
  const repo: SeriesTree = { path: dir, baseCommit: await git(dir, 'rev-parse', 'HEAD'), baseRef: 'base' };
  await writeFile(path.join(dir, 'init', 'counter.c'), GOOD);
  await git(dir, 'commit', '-q', '-a', '-s', '-m', 'init: add last_count()\n\nCallers need to read the counter without moving it on.');
  await writeFile(path.join(dir, 'init', 'counter.c'), BAD);
  await git(dir, 'commit', '-q', '-a', '-m', 'init: add reset_count()\n\nTests need to start the counter again.');
  both = path.join(work, 'both');
  await exportSeries(repo, both);
  await git(dir, 'reset', '-q', '--hard', 'HEAD~1');
  goodOnly = path.join(work, 'good');
  await exportSeries(repo, goodOnly);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('checkpatch.pl --strict of the prepared tree', () => {
  it('reports a bad patch by its error names and passes a clean one', async () => {
    const result = await checkSeries(kernelTree.path, both);
    expect(result.patches.map((p) => p.name)).toEqual(['0001-init-add-last_count.patch', '0002-init-add-reset_count.patch']);
    const [good, bad] = result.patches as [PatchCheck, PatchCheck];
    expect({ errors: good.errors, warnings: good.warnings, checks: good.checks, findings: findings(good) }, good.output).toEqual({ errors: 0, warnings: 0, checks: 0, findings: [] });
    expect(findings(bad), bad.output).toEqual(['ERROR:MISSING_SIGN_OFF', 'ERROR:OPEN_BRACE', 'ERROR:TRAILING_WHITESPACE']);
    expect({ errors: bad.errors, warnings: bad.warnings, checks: bad.checks }).toEqual({ errors: 3, warnings: 0, checks: 0 });
    expect(result.clean).toBe(false);
  });

  it('calls a series of clean patches clean', async () => {
    const result = await checkSeries(kernelTree.path, goodOnly);
    expect(result.patches.map((p) => p.name)).toEqual(['0001-init-add-last_count.patch']);
    expect(result.clean).toBe(true);
  });
});
