/**
 * Run the tree's own scripts/checkpatch.pl --strict on every patch of the
 * series, inside the tree (so it can use it: MAINTAINERS, git history).
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { InfraError } from '../common/errors.js';
import { run } from '../common/process.js';
import { readSeries } from '../git/index.js';

export interface CheckpatchTotals {
  errors: number;
  warnings: number;
  checks: number;
}

export interface PatchCheck extends CheckpatchTotals {
  name: string;
  /** checkpatch's full output for this patch. */
  output: string;
}

export interface CheckResult {
  patches: PatchCheck[];
  clean: boolean;
}

/** Parse checkpatch's "total: N errors, M warnings, K checks, L lines checked". Pure. */
export function parseCheckpatchTotals(output: string): CheckpatchTotals | undefined {
  const m = /total: (\d+) errors?, (\d+) warnings?, (?:(\d+) checks?, )?\d+ lines? checked/.exec(output);
  if (!m) return undefined;
  return { errors: Number(m[1]), warnings: Number(m[2]), checks: Number(m[3] ?? 0) };
}

export async function checkSeries(treePath: string, seriesDir: string): Promise<CheckResult> {
  const series = await readSeries(seriesDir);
  const script = path.join(treePath, 'scripts', 'checkpatch.pl');
  if (!existsSync(script)) throw new InfraError(`${script} not found: is ${treePath} a kernel tree?`);
  const patches: PatchCheck[] = [];
  for (let i = 0; i < series.files.length; i++) {
    const file = series.files[i] as string;
    // 'any': checkpatch exits 1 on findings; its totals line, not the code, is the answer.
    const r = await run('perl', [script, '--strict', '--no-color', '--show-types', file], { cwd: treePath, okExitCodes: 'any' });
    // Without the final newline, as the reports print it.
    const output = r.all.replace(/\r?\n$/, '');
    const totals = parseCheckpatchTotals(output);
    if (!totals) {
      throw new InfraError(`checkpatch.pl gave no totals for ${series.names[i]} (exit ${r.exitCode}):\n${output.slice(0, 2000)}`);
    }
    patches.push({ name: series.names[i] as string, output, ...totals });
  }
  return { patches, clean: patches.every((p) => p.errors + p.warnings + p.checks === 0) };
}
