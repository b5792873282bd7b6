/**
 * Merging runs: several `iofs bench` processes, each over part of the
 * matrix (e.g. run side by side on a machine where one QEMU gets a small
 * share of the CPUs), make one result. Only meaningful when they booted the
 * same kernel with the same guest clock: under -icount the guest-side
 * numbers do not depend on what else ran. Pure.
 */
import { InputError } from '../common/errors.js';
import type { BootRecord } from './aggregate.js';
import type { BenchMeta } from './run.js';

export interface RawRun {
  /** Where it was read from, for errors. */
  dir: string;
  meta: BenchMeta;
  boots: BootRecord[];
}

const kernelIdentity = (m: BenchMeta): string => JSON.stringify(Object.values(m.kernels).map((k) => k.seriesHash ?? k.bzImage).sort());

export function mergeRuns(runs: readonly RawRun[]): { meta: BenchMeta; boots: BootRecord[] } {
  const first = runs[0];
  if (!first) throw new InputError('nothing to merge');
  if (runs.length === 1) return { meta: first.meta, boots: first.boots };
  for (const r of runs.slice(1)) {
    if (r.meta.clock !== first.meta.clock) throw new InputError(`${r.dir}: guest clock "${r.meta.clock}" differs from ${first.dir}'s "${first.meta.clock}": the numbers are not comparable`);
    if (kernelIdentity(r.meta) !== kernelIdentity(first.meta)) throw new InputError(`${r.dir}: booted another kernel than ${first.dir}`);
    if (r.meta.memoryMiB !== first.meta.memoryMiB) throw new InputError(`${r.dir}: guest memory ${r.meta.memoryMiB} MiB differs from ${first.dir}'s ${first.meta.memoryMiB} MiB`);
  }
  const boots: BootRecord[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const b of r.boots) {
      const key = `${b.cell}#${b.boot}`;
      if (seen.has(key)) throw new InputError(`${r.dir}: boot ${b.boot} of ${b.cell} is also in another run: give each run its own modes or sizes`);
      seen.add(key);
      // Run directories are relative to each run's results directory: keep them findable.
      boots.push({ ...b, runDir: `${r.dir}/${b.runDir}` });
    }
  }
  const starts = runs.map((r) => r.meta.startedAt).sort();
  const ends = runs.map((r) => r.meta.finishedAt).filter((x): x is string => x !== undefined).sort();
  const meta: BenchMeta = {
    ...first.meta,
    command: runs.map((r) => r.meta.command ?? 'iofs bench').join(' & '),
    startedAt: starts[0]!,
    accel: [...new Set(runs.flatMap((r) => r.meta.accel))],
    kernels: Object.assign({}, ...runs.map((r) => r.meta.kernels)) as BenchMeta['kernels'],
    images: [...new Map(runs.flatMap((r) => r.meta.images).map((i) => [i.id, i])).values()],
    skipped: [],
    bootsPerCell: Math.max(...runs.map((r) => r.meta.bootsPerCell)),
    parallelRuns: runs.length,
  };
  if (ends.length === runs.length) {
    meta.finishedAt = ends.at(-1)!;
    meta.wallS = Math.round((Date.parse(meta.finishedAt) - Date.parse(meta.startedAt)) / 100) / 10;
  } else {
    delete meta.finishedAt;
    delete meta.wallS;
    meta.interrupted = true;
  }
  meta.packS = Math.max(...runs.map((r) => r.meta.packS ?? 0));
  if (runs.some((r) => r.meta.interrupted)) meta.interrupted = true;
  const load = runs.map((r) => r.meta.machine.loadAverageAtStart[0] ?? 0);
  meta.machine = { ...first.meta.machine, loadAverageAtStart: [Math.max(...load)] };
  return { meta, boots };
}
