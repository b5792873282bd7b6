/**
 * `iofs bisect-run SCENARIO`: one step of `git bisect run`. Builds the
 * kernel tree at HEAD as it stands (no series applied on top: the commits
 * being bisected are the subject), boots the scenario with it and answers in
 * git bisect's exit codes:
 *
 *   0    good     the scenario passed
 *   1    bad      a check failed, the kernel panicked, or it never came up (hang)
 *   125  skip     cannot test this commit: the build failed (a broken
 *                 intermediate commit, a config symbol that does not exist yet),
 *                 or packing, QEMU or SSH failed
 *   130  abort    interrupted (git bisect stops on any code above 127)
 *   255  abort    the command itself is wrong (unknown scenario, not a kernel tree)
 */
import path from 'node:path';
import { cacheDir } from '../common/paths.js';
import { externalTree, getBase } from '../kernel/index.js';
import { createRunDir, loadScenario, planScenario, runScenario, type AccelMode, type Outcome, type RunResult } from '../vm/index.js';

export const BisectExit = { GOOD: 0, BAD: 1, SKIP: 125, INTERRUPTED: 130, ABORT: 255 } as const;

/** The git bisect answer for a scenario outcome. Pure. */
export function bisectExitCode(outcome: Outcome): number {
  switch (outcome) {
    case 'PASS':
      return BisectExit.GOOD;
    case 'FAIL':
    case 'PANIC':
    case 'BOOT-TIMEOUT':
      return BisectExit.BAD;
    case 'INFRA':
      return BisectExit.SKIP;
    case 'INTERRUPTED':
      return BisectExit.INTERRUPTED;
  }
}

export function bisectWord(code: number): string {
  return code === BisectExit.GOOD ? 'good' : code === BisectExit.BAD ? 'bad' : code === BisectExit.SKIP ? 'skip' : 'abort';
}

export interface BisectRunOptions {
  /** Scenario name in test-vms/scenarios or a path. */
  scenario: string;
  /** The kernel tree being bisected (default: the current directory, where git bisect runs us). */
  tree?: string;
  /** Base whose name the build is filed under (default: the scenario's). */
  base?: string;
  cache?: string;
  accel: AccelMode;
  signal?: AbortSignal;
}

export interface BisectRunResult {
  result: RunResult;
  exitCode: number;
  head: string;
}

export async function bisectRun(o: BisectRunOptions): Promise<BisectRunResult> {
  const scenario = await loadScenario(o.scenario);
  const base = await getBase(o.base ?? scenario.kernel.base);
  const treePath = path.resolve(o.tree ?? process.cwd());
  // Validates that it is a kernel git checkout; the build below uses it as it stands.
  const tree = await externalTree(base, treePath, { baseRef: 'HEAD' });
  const cache = path.resolve(o.cache ?? cacheDir());
  const runDir = await createRunDir(`bisect-${scenario.name}`, path.join(cache, 'runs'));
  const plan = planScenario(scenario, { runDir, accel: o.accel });
  plan.kernel = {
    kind: 'build',
    // withPatches: true only keeps buildKernel from warning; with a tree nothing is applied.
    request: { base: base.name, tree: tree.path, fragments: [...scenario.kernel.fragments], withPatches: true, cache },
  };
  const result = await runScenario(plan, o.signal ? { signal: o.signal } : {});
  return { result, exitCode: bisectExitCode(result.outcome), head: tree.baseCommit };
}
