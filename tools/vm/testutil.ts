/** Helpers for the integration tests that run a suite of scenarios and then assert on each result by name. */
import type { RunResult } from './runner.js';

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
