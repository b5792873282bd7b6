/**
 * The reduced benchmark, end to end through the CLI, so the benchmark cannot
 * silently break: two modes (cpio gzip, kernel mode bdev) at the bare guest
 * and +64 MiB, one boot each, two at a time, real kernel build (shared with the other
 * kernel-mode tests through the cache), real packs (cached in
 * <cache>/bench/images), real QEMU.
 *
 * Guest time runs on QEMU's instruction counter (-icount shift=3), so the
 * guest-side numbers do not depend on how loaded the machine is; the
 * assertions compare growth between sizes, with wide margins, rather than
 * absolute times.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';
import type { BootRecord, CellSummary } from './aggregate.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');
const MiB = 1024 * 1024;
let out: string;
let run: Awaited<ReturnType<typeof execa>>;
let boots: BootRecord[];
let cells: CellSummary[];

const cell = (id: string): CellSummary => {
  const c = cells.find((x) => x.cell === id);
  if (!c) throw new Error(`no cell ${id} in summary.json`);
  return c;
};
const med = (id: string, m: keyof CellSummary['stats']): number => {
  const v = cell(id).stats[m]?.median;
  if (v === undefined) throw new Error(`cell ${id} has no ${m}`);
  return v;
};

beforeAll(async () => {
  out = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-bench-int-'));
  run = await execa(
    'node',
    [iofs, 'bench', '--modes', 'cpio-gzip,kernel-bdev', '--sizes', '0,64M', '--boots', '1', '--no-read', '--icount', '3', '--jobs', '2', '--accel', 'tcg', '--out', out],
    { reject: false, env: { CI: '1' }, timeout: 45 * 60_000 },
  );
  const raw = JSON.parse(await fs.readFile(path.join(out, 'raw.json'), 'utf8')) as { boots: BootRecord[] };
  boots = raw.boots;
  cells = (JSON.parse(await fs.readFile(path.join(out, 'summary.json'), 'utf8')) as { cells: CellSummary[] }).cells;
});

afterAll(async () => {
  if (out) await fs.rm(out, { recursive: true, force: true });
});

describe('iofs bench (reduced: cpio-gzip and kernel-bdev, bare and +64M, one boot each)', () => {
  it('every boot passes and the results directory has the table, plot, raw and summary', async () => {
    expect(run.exitCode, String(run.stderr).slice(-4000)).toBe(0);
    expect(boots.map((b) => `${b.cell} ${b.outcome}`).sort()).toEqual(
      ['cpio-gzip/0 PASS', 'cpio-gzip/64M PASS', 'kernel-bdev/0 PASS', 'kernel-bdev/64M PASS'],
    );
    const table = await fs.readFile(path.join(out, 'table.md'), 'utf8');
    expect(run.stdout).toBe(table.trimEnd()); // execa strips the final newline
    expect(table).toContain('| mode | bare guest | +64M |');
    expect(table).toMatch(/guest clock: QEMU -icount shift=3,sleep=off: deterministic/);
    expect(table).toMatch(/boots: 1 per cell, round-robin over the cells, 2 at a time/);
    // The prepared tree may lag the series (then the line says how: "; tree diverged").
    expect(table).toMatch(/kernel: 6\.12\.\d+\S* \(6\.12 \+ guest, erofs, initrd-erofs, series applied; series hash [0-9a-f]{12}(; tree \w+)?\)/);
    expect(table).toContain('Time to /init of **kernel-bdev** divided by');
    const svg = await fs.readFile(path.join(out, 'plot.svg'), 'utf8');
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    for (const b of boots) {
      expect(b.metrics.initUptimeS, b.cell).toBeGreaterThan(0);
      expect(b.metrics.memAvailableKb, b.cell).toBeGreaterThan(0);
      expect(b.metrics.runInitS, b.cell).toBeGreaterThan(0);
      expect(b.metrics.sshReadyS, b.cell).toBeGreaterThan(0);
      await fs.access(path.join(out, b.runDir, 'results.json'));
    }
  });

  it('the initrds carry the payload: +64 MiB adds at least 15 MB compressed to each', () => {
    expect(cell('cpio-gzip/64M').initrdBytes! - cell('cpio-gzip/0').initrdBytes!).toBeGreaterThan(15e6);
    expect(cell('kernel-bdev/64M').initrdBytes! - cell('kernel-bdev/0').initrdBytes!).toBeGreaterThan(15e6);
  });

  it('cpio unpacks in the kernel; kernel mode mounts instead, and time to /init hardly grows with size', () => {
    expect(cell('kernel-bdev/64M').stats.unpackS).toBeUndefined();
    expect(cell('kernel-bdev/64M').stats.kernelMountUs?.median).toBeGreaterThan(0);
    const cpioGrowth = med('cpio-gzip/64M', 'initUptimeS') - med('cpio-gzip/0', 'initUptimeS');
    const kernelGrowth = med('kernel-bdev/64M', 'initUptimeS') - med('kernel-bdev/0', 'initUptimeS');
    expect(med('cpio-gzip/64M', 'unpackS')).toBeGreaterThan(med('cpio-gzip/0', 'unpackS') + 0.3);
    expect(cpioGrowth).toBeGreaterThan(0.3);
    expect(kernelGrowth).toBeLessThan(cpioGrowth / 4);
  });

  it('memory: cpio keeps the unpacked payload in rootfs; kernel mode keeps only the image, and MemTotal says so', () => {
    const cpioDrop = (med('cpio-gzip/0', 'memAvailableKb') - med('cpio-gzip/64M', 'memAvailableKb')) * 1024;
    const kernelDrop = (med('kernel-bdev/0', 'memAvailableKb') - med('kernel-bdev/64M', 'memAvailableKb')) * 1024;
    expect(cpioDrop).toBeGreaterThan(60 * MiB);
    expect(kernelDrop).toBeLessThan(cpioDrop - 16 * MiB);
    // The series documents that the reserved image is missing from MemTotal, byte for byte (page rounding aside).
    const imageGrowth = cell('kernel-bdev/64M').initrdBytes! - cell('kernel-bdev/0').initrdBytes!;
    const memTotalDrop = (med('kernel-bdev/0', 'memTotalKb') - med('kernel-bdev/64M', 'memTotalKb')) * 1024;
    expect(Math.abs(memTotalDrop - imageGrowth)).toBeLessThan(2 * MiB);
  });
});
