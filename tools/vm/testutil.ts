/** Helpers for the integration tests that run a suite of scenarios and then assert on each result by name. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from './runner.js';
import { runScenarios } from './suite.js';

/** Results by scenario name; `result()` says which ran when a name is missing. */
export class ResultsByName {
  readonly map = new Map<string, RunResult>();

  add(results: RunResult[]): void {
    for (const r of results) this.map.set(r.scenario, r);
  }

  result(name: string): RunResult {
    const r = this.map.get(name);
    if (!r) throw new Error(`no result for ${name} (ran: ${[...this.map.keys()].join(', ')})`);
    return r;
  }
}

/** The outcome, reason and run directory: the message of a failed assertion on a run. */
export const why = (r: RunResult): string => `${r.outcome}: ${r.reason} (${r.runDir})`;

/**
 * Run the scenarios a pattern names under TCG, `jobs` at a time (two guests
 * keep both cores busy), with their run directories in a temporary
 * directory that `cleanup()` removes.
 */
export async function runSuiteInTmp(pattern: string, into: ResultsByName, jobs = 2): Promise<{ cleanup: () => Promise<void> }> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-suite-int-'));
  const suite = await runScenarios({ scenarios: [pattern], jobs, keepGoing: true, accel: 'tcg', runsDir: path.join(tmp, 'runs') });
  into.add(suite.results);
  return { cleanup: () => fs.rm(tmp, { recursive: true, force: true }) };
}
