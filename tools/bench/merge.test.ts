import { describe, expect, it } from 'vitest';
import type { BootRecord } from './aggregate.js';
import { mergeRuns, type RawRun } from './merge.js';
import type { BenchMeta } from './run.js';

function meta(over: Partial<BenchMeta> = {}): BenchMeta {
  return {
    matrix: 'm.json', description: '', command: 'iofs bench --modes a', startedAt: '2026-11-26T02:00:00.000Z', finishedAt: '2026-11-26T02:10:00.000Z', wallS: 600,
    machine: { hostname: 'h', cpuModel: 'cpu', cpus: 2, memGiB: 24, os: 'Linux', loadAverageAtStart: [10] },
    qemu: 'QEMU 7.2', accel: ['tcg (requested)'], clock: 'icount 3', memoryMiB: 3072, bootsPerCell: 3, bootTimeoutS: 300,
    kernels: { given: { spec: 'given', bzImage: '/k', seriesHash: 'abc' } }, images: [{ id: 'i1', file: '/i1', bytes: 1, sha256: 'x', compress: 'none', cached: true }], skipped: [],
    ...over,
  };
}

const boot = (cell: string, n: number): BootRecord => ({
  cell, mode: cell.split('/')[0]!, sizeLabel: '0', sizeBytes: 0, read: false, boot: n, outcome: 'PASS', reason: '', runDir: `runs/${n}`, metrics: {}, problems: [],
});

describe('mergeRuns', () => {
  const a: RawRun = { dir: 'p1', meta: meta(), boots: [boot('a/0', 1), boot('a/0', 2)] };
  const b: RawRun = {
    dir: 'p2',
    meta: meta({ command: 'iofs bench --modes b', startedAt: '2026-11-26T02:01:00.000Z', finishedAt: '2026-11-26T02:21:00.000Z', images: [{ id: 'i2', file: '/i2', bytes: 2, sha256: 'y', compress: 'none', cached: false }] }),
    boots: [boot('b/0', 1)],
  };

  it('joins the boots (run directories made relative to the merged results), spans the wall time, keeps every command', () => {
    const m = mergeRuns([a, b]);
    expect(m.boots.map((x) => `${x.cell}#${x.boot} ${x.runDir}`)).toEqual(['a/0#1 p1/runs/1', 'a/0#2 p1/runs/2', 'b/0#1 p2/runs/1']);
    expect(m.meta.wallS).toBe(1260);
    expect(m.meta.parallelRuns).toBe(2);
    expect(m.meta.command).toBe('iofs bench --modes a & iofs bench --modes b');
    expect(m.meta.images.map((i) => i.id)).toEqual(['i1', 'i2']);
  });

  it('refuses runs that are not comparable or overlap', () => {
    expect(() => mergeRuns([a, { ...b, meta: meta({ clock: 'wall' }) }])).toThrow(/guest clock "wall" differs/);
    expect(() => mergeRuns([a, { ...b, meta: meta({ kernels: { given: { spec: 'given', bzImage: '/k', seriesHash: 'def' } } }) }])).toThrow(/another kernel/);
    expect(() => mergeRuns([a, { ...b, boots: [boot('a/0', 2)] }])).toThrow(/boot 2 of a\/0 is also in another run/);
    expect(() => mergeRuns([])).toThrow(/nothing to merge/);
  });

  it('a run that did not finish makes the merge partial', () => {
    const unfinished = { ...b, meta: meta({ finishedAt: undefined, wallS: undefined, interrupted: true }) };
    const m = mergeRuns([a, unfinished]);
    expect(m.meta.interrupted).toBe(true);
    expect(m.meta.wallS).toBeUndefined();
  });
});
