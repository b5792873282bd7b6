import { describe, expect, it } from 'vitest';
import type { CellSummary } from './aggregate.js';
import { escapeXml, niceStep, renderSvg, ticks } from './svg.js';
import { formatStats, renderMarkdown, type ReportMode } from './table.js';

const MiB = 1 << 20;

function cell(mode: string, sizeBytes: number, initS: number, availMiB: number, extra: Partial<CellSummary> = {}): CellSummary {
  return {
    cell: `${mode}/${sizeBytes / MiB}M`, mode, sizeLabel: sizeBytes ? `${sizeBytes / MiB}M` : '0', sizeBytes, read: false, boots: 3, passed: 3, failures: [],
    initrdBytes: 2_000_000 + sizeBytes / 3,
    stats: {
      initUptimeS: { n: 3, median: initS, min: initS - 0.05, max: initS + 0.1 },
      memAvailableKb: { n: 3, median: availMiB * 1024, min: availMiB * 1024 - 512, max: availMiB * 1024 + 512 },
      runInitS: { n: 3, median: initS - 0.1, min: initS - 0.1, max: initS - 0.1 },
    },
    ...extra,
  };
}

const modes: ReportMode[] = [
  { name: 'cpio-gzip', kind: 'cpio', description: '' },
  { name: 'two-stage', kind: 'two-stage', description: '' },
  { name: 'kernel-bdev', kind: 'kernel', description: '' },
];

const cells: CellSummary[] = [
  cell('cpio-gzip', 0, 1.0, 2950), cell('cpio-gzip', 64 * MiB, 2.0, 2880),
  cell('two-stage', 0, 1.2, 2960, { diskBytes: 3_000_000 }), cell('two-stage', 64 * MiB, 1.2, 2960, { diskBytes: 40_000_000 }),
  cell('kernel-bdev', 0, 0.8, 2955), cell('kernel-bdev', 64 * MiB, 0.8, 2920),
  { ...cell('kernel-bdev', 64 * MiB, 0.8, 2920), cell: 'kernel-bdev/64M+read', read: true, stats: { readS: { n: 1, median: 0.25, min: 0.25, max: 0.25 } } },
];

describe('formatStats', () => {
  it('median with the spread; one boot alone; none as a dash', () => {
    expect(formatStats({ n: 3, median: 1.234, min: 1.2, max: 1.31 }, 2)).toBe('1.23 (1.20–1.31)');
    expect(formatStats({ n: 1, median: 2048, min: 2048, max: 2048 }, 0, 1024)).toBe('2');
    expect(formatStats(undefined, 2)).toBe('–');
  });
});

describe('renderMarkdown', () => {
  const md = renderMarkdown({ modes, cells, facts: [['QEMU', 'QEMU emulator version 7.2.x; accel tcg']], skipped: [{ mode: 'kernel-file', reason: 'not yet' }] });

  it('a mode × size table per metric, sizes as columns, spread in brackets', () => {
    expect(md).toContain('- QEMU: QEMU emulator version 7.2.x; accel tcg');
    expect(md).toContain('- not run: kernel-file (not yet)');
    expect(md).toContain('| mode | bare guest | +64M |');
    expect(md).toContain('| cpio-gzip | 1.00 (0.95–1.10) | 2.00 (1.95–2.10) |');
    expect(md).toContain('| kernel-bdev | 2955 (2955–2956) | 2920 (2920–2921) |');
    expect(md).toMatch(/\| two-stage \| 2\.0 \+ disk 3\.0 \| 24 \+ disk 40 \|/);
  });

  it('states kernel mode\'s ratios against every other mode, per size', () => {
    expect(md).toContain('| cpio-gzip | 0.80x, +5 MiB | 0.40x, +40 MiB |');
    expect(md).toContain('| two-stage | 0.67x, −5 MiB | 0.67x, −40 MiB |');
  });

  it('the read case has its own table; failed boots are flagged in their cell and listed', () => {
    expect(md).toContain('### Reading data: /init reads one payload file (+64M)');
    expect(md).toMatch(/\| kernel-bdev \| 0\.250 \| – \| – \| 0\.80 \(0\.75–0\.90\) \|/);
    const bad = renderMarkdown({
      modes, facts: [],
      cells: [cell('cpio-gzip', 0, 1, 1, { passed: 2, failures: [{ boot: 2, outcome: 'BOOT-TIMEOUT', reason: 'no SSH login within 300s', runDir: 'runs/x' }] })],
    });
    expect(bad).toContain('⚠ 2/3 ok');
    expect(bad).toContain('- cpio-gzip/0M boot 2: BOOT-TIMEOUT: no SSH login within 300s (runs/x)');
  });
});

describe('renderSvg', () => {
  const svg = renderSvg({ title: 'T <1>', subtitle: 'icount', modes, cells });

  it('is well-formed SVG with a line per mode in each of the two panels, the read case left out', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('T &lt;1&gt;');
    expect(svg.match(/<g class="panel"/g)).toHaveLength(2);
    expect(svg.match(/<polyline /g)).toHaveLength(6);
    expect(svg.match(/data-mode="kernel-bdev"/g)).toHaveLength(2);
    // Two points per line: the read cell (same size) does not add a third.
    const kernelLine = /data-mode="kernel-bdev">\n<polyline [^>]*points="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(kernelLine.split(' ')).toHaveLength(2);
    // Every opened tag is closed (a cheap well-formedness check).
    expect(svg.match(/<g\b/g)?.length).toBe(svg.match(/<\/g>/g)?.length);
  });

  it('a lower time is drawn higher up the panel (SVG y grows downwards)', () => {
    const ys = (mode: string): number[] => {
      const pts = new RegExp(`data-mode="${mode}">\\n<polyline [^>]*points="([^"]+)"`).exec(svg)?.[1] ?? '';
      return pts.split(' ').map((p) => Number(p.split(',')[1]));
    };
    const [k0, k64] = ys('kernel-bdev');
    const [c0, c64] = ys('cpio-gzip');
    expect(k64).toBeGreaterThan(c64!);
    expect(k0).toBeCloseTo(k64!, 5);
    expect(c64).toBeLessThan(c0!);
  });
});

describe('axis helpers', () => {
  it('nice steps and ticks', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(0.7, 5)).toBeCloseTo(0.2);
    expect(ticks(0, 2.2, 5)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(escapeXml(`a<b & "c"`)).toBe('a&lt;b &amp; &quot;c&quot;');
  });
});
