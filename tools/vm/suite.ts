/** Running several scenarios, concurrently if asked, with every input checked before anything boots. */
import type { Arch } from '../common/arch.js';
import { InputError } from '../common/errors.js';
import { log } from '../common/log.js';
import type { AccelMode } from './accel.js';
import { inspectKernel } from './bzimage.js';
import { planScenario } from './plan.js';
import { createRunDir, runScenario, type RunResult } from './runner.js';
import { expandScenarioArgs, loadScenario, type Scenario } from './scenario.js';

export interface SuiteOptions {
  /** Names in test-vms/scenarios/ (or patterns such as `kmode-*`) or paths to .json files. */
  scenarios: string[];
  jobs: number;
  /** Without it, no new scenario starts after one did not PASS. */
  keepGoing: boolean;
  kernelOverride?: string;
  /** Build every scenario's kernel from this git checkout as it stands (see PlanOptions.tree). */
  tree?: string;
  /** With `tree`: where the series starts (default: tag base-<name>). */
  baseRef?: string;
  accel: AccelMode;
  icountShift?: number | 'auto';
  /** Build, pack and boot for this architecture (default: x86_64, the host's). */
  arch?: Arch;
  /** Every scenario's kernel with the sanitizers (see SANITIZE_FRAGMENTS in plan.ts). */
  sanitize?: boolean;
  runsDir?: string;
  signal?: AbortSignal;
  /** Called as each scenario finishes (for the summary line). */
  onResult?: (r: RunResult) => void;
}

export interface SuiteResult {
  results: RunResult[];
  /** Scenarios not started because an earlier one failed. */
  notRun: string[];
}

export async function runScenarios(o: SuiteOptions): Promise<SuiteResult> {
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new InputError(`--jobs must be a whole number, at least 1 (got ${o.jobs})`);
  if (o.scenarios.length === 0) throw new InputError('no scenarios given', { hint: 'e.g. iofs vm test cpio-gzip' });
  // Bad input stops here, before any build or boot: every file, and the kernel if given.
  const scenarios: Scenario[] = [];
  for (const arg of await expandScenarioArgs(o.scenarios)) scenarios.push(await loadScenario(arg));
  if (o.kernelOverride !== undefined) await inspectKernel(o.kernelOverride);
  if (o.kernelOverride !== undefined && o.tree !== undefined) throw new InputError('--kernel and --tree both say which kernel to boot: give one');
  if (o.sanitize && o.kernelOverride !== undefined) throw new InputError('--sanitize builds each scenario\'s kernel with the sanitizers; --kernel boots a given one: give one of them');
  if (o.baseRef !== undefined && o.tree === undefined) throw new InputError('--base-ref needs --tree: the prepared tree\'s base is its base-<name> tag');

  const results: RunResult[] = new Array(scenarios.length);
  const notRun: string[] = [];
  let next = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      const idx = next++;
      const s = scenarios[idx];
      if (s === undefined) return;
      if (stop || o.signal?.aborted) {
        notRun.push(s.name);
        continue;
      }
      const runDir = await createRunDir(s.name, o.runsDir);
      log.step(`${s.name}: run directory ${runDir}`);
      const plan = planScenario(s, { runDir, kernelOverride: o.kernelOverride, tree: o.tree, baseRef: o.baseRef, accel: o.accel, icountShift: o.icountShift, ...(o.arch ? { arch: o.arch } : {}), ...(o.sanitize ? { sanitize: true } : {}) });
      const r = await runScenario(plan, { signal: o.signal });
      results[idx] = r;
      o.onResult?.(r);
      if (r.outcome !== 'PASS' && !o.keepGoing) stop = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, scenarios.length) }, worker));
  return { results: results.filter((r): r is RunResult => r !== undefined), notRun };
}
