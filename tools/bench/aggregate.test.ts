import { describe, expect, it } from 'vitest';
import { extraConsoleMetrics, median, stats, stripHostTimestamp, summarize, type BootRecord } from './aggregate.js';

describe('median and stats', () => {
  it('odd and even counts; min and max kept', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(stats([1.2, 0.9, 5])).toEqual({ n: 3, median: 1.2, min: 0.9, max: 5 });
    expect(stats([])).toBeUndefined();
    expect(() => median([])).toThrow();
  });
});

describe('console facts the runner does not keep', () => {
  const lines = [
    '[    0.912345] initrd_erofs: mounted 1712128-byte image (compression lz4, backend bdev) as / in 52003 us',
    '[    0.950000] Run /init as init process',
    'IOFS_MARKER stage=stage1 uptime=0.80 mem_available_kb=3000000 mem_total_kb=3100000',
    'IOFS_MARKER stage=init uptime=1.25 mem_available_kb=2900000 mem_total_kb=3000000',
    'IOFS_MARKER stage=read uptime=1.75 mem_available_kb=2890000 mem_total_kb=3000000 file=/payload/x.so',
  ];

  it('read time is from the init marker to the read marker; stage 1 and the kernel mount time are picked up', () => {
    const { metrics, problems } = extraConsoleMetrics(lines);
    expect(problems).toEqual([]);
    expect(metrics).toEqual({ stage1UptimeS: 0.8, readS: 0.5, memAvailableAfterReadKb: 2890000, kernelMountUs: 52003 });
  });

  it('the page cache after the read, and what the read added to it, from the markers\' cached_kb (absent or "?" on an older guest: no figure)', () => {
    const init = 'IOFS_MARKER stage=init uptime=1.25 mem_available_kb=2900000 mem_total_kb=3000000 cached_kb=270000';
    const read = 'IOFS_MARKER stage=read uptime=1.75 mem_available_kb=2600000 mem_total_kb=3000000 cached_kb=540000 file=/payload/x';
    expect(extraConsoleMetrics([init, read]).metrics).toMatchObject({ cachedAfterReadKb: 540000, cachedByReadKb: 270000 });
    expect(extraConsoleMetrics([init.replace('cached_kb=270000', 'cached_kb=?'), read]).metrics).toMatchObject({ cachedAfterReadKb: 540000 });
    expect(extraConsoleMetrics([init.replace('cached_kb=270000', 'cached_kb=?'), read]).metrics.cachedByReadKb).toBeUndefined();
    expect(extraConsoleMetrics(lines).metrics.cachedAfterReadKb).toBeUndefined();
  });

  it('a failed read is a problem, not a time', () => {
    const { metrics, problems } = extraConsoleMetrics([lines[3]!, 'IOFS_MARKER stage=read uptime=1.3 mem_available_kb=1 mem_total_kb=2 file=/payload/x error=read']);
    expect(metrics.readS).toBeUndefined();
    expect(problems).toEqual(['/init could not read /payload/x (error=read)']);
  });

  it('strips the host timestamps of console.log', () => {
    expect(stripHostTimestamp('[+12.345s] [    0.95] Run /init as init process')).toBe('[    0.95] Run /init as init process');
    expect(stripHostTimestamp('no stamp')).toBe('no stamp');
  });
});

function rec(cell: string, boot: number, outcome: string, initUptimeS?: number): BootRecord {
  const [mode, size] = cell.split('/') as [string, string];
  return {
    cell, mode, sizeLabel: size, sizeBytes: size === '0' ? 0 : 64 << 20, read: false, boot, outcome, reason: outcome === 'PASS' ? 'ok' : 'boom',
    runDir: `runs/${cell.replace('/', '-')}-b${boot}`, initrdBytes: 1000, metrics: initUptimeS === undefined ? {} : { initUptimeS, memAvailableKb: 1024 * boot },
    problems: [],
  };
}

describe('summarize', () => {
  it('aggregates only passed boots, keeps failures with their reasons, in first-seen cell order', () => {
    const cells = summarize([
      rec('cpio-gzip/0', 1, 'PASS', 1.0), rec('kernel-bdev/0', 1, 'PASS', 0.8),
      rec('cpio-gzip/0', 2, 'PASS', 1.4), rec('kernel-bdev/0', 2, 'BOOT-TIMEOUT'),
      rec('cpio-gzip/0', 3, 'PASS', 1.1), rec('kernel-bdev/0', 3, 'PASS', 0.9),
    ]);
    expect(cells.map((c) => c.cell)).toEqual(['cpio-gzip/0', 'kernel-bdev/0']);
    expect(cells[0]!.stats.initUptimeS).toEqual({ n: 3, median: 1.1, min: 1.0, max: 1.4 });
    expect(cells[0]!.stats.memAvailableKb).toEqual({ n: 3, median: 2048, min: 1024, max: 3072 });
    expect(cells[1]).toMatchObject({ boots: 3, passed: 2, failures: [{ boot: 2, outcome: 'BOOT-TIMEOUT', reason: 'boom', runDir: 'runs/kernel-bdev-0-b2' }] });
    expect(cells[1]!.stats.initUptimeS).toMatchObject({ n: 2, min: 0.8, max: 0.9 });
    expect(cells[1]!.stats.initUptimeS?.median).toBeCloseTo(0.85, 9);
    expect(cells[1]!.stats.readS).toBeUndefined();
  });
});
