import { describe, expect, it } from 'vitest';
import { InputError } from '../common/errors.js';
import type { BenchMatrix } from './matrix.js';
import type { BenchPlan } from './plan.js';
import { runBench } from './run.js';

describe('runBench', () => {
  // The refusal comes before anything is built, packed or booted, so empty inputs do.
  const matrix = {} as BenchMatrix;
  const plan = { cells: [], images: [], boots: [], skipped: [], bootsPerCell: 1 } as unknown as BenchPlan;

  it('refuses boots side by side on a clock that the sharing would distort', async () => {
    for (const icountShift of [undefined, 'auto'] as const) {
      const p = runBench(matrix, plan, { outDir: '/nonexistent/never-created', accel: 'tcg', icountShift, jobs: 2 });
      await expect(p).rejects.toBeInstanceOf(InputError);
      await expect(p).rejects.toThrow(/2 boots at once need a deterministic guest clock/);
    }
  });
});
