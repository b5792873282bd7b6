/**
 * The published benchmark (test-vms/bench/results/, written by `iofs bench
 * --publish`) is what its raw.json says: table.md, plot.svg and summary.json
 * are re-made from raw.json by the same code a run uses (summarize,
 * writeResults) and must be byte for byte the committed ones; rendering is
 * deterministic (every fact comes from raw.json's meta, no clock or path of
 * this machine). The README's benchmark tables and run facts must state
 * exactly that record's medians.
 */
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';
import type { BootRecord, CellSummary } from './aggregate.js';
import { loadMatrix, loadRawResults, publishedDirFor, publishedResultsDir, summarize, writeResults, type BenchMeta } from './index.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
let raw: { meta: BenchMeta; boots: BootRecord[] };
let cells: CellSummary[];
let derivedDir: string;
let derivedTable: string;

beforeAll(async () => {
  raw = JSON.parse(await fs.readFile(path.join(publishedResultsDir, 'raw.json'), 'utf8')) as typeof raw;
  cells = summarize(raw.boots);
  derivedDir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-bench-published-'));
  ({ markdown: derivedTable } = await writeResults(await loadMatrix(), { meta: raw.meta, records: raw.boots, cells }, derivedDir));
});
afterAll(async () => {
  if (derivedDir) await fs.rm(derivedDir, { recursive: true, force: true });
});

/** A markdown table starting at the line that begins with `firstCell`: header cells and rows, `**` removed. */
function markdownTable(text: string, firstCell: RegExp): { header: string[]; rows: string[][] } | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| ') && firstCell.test(l.split('|')[1]?.trim() ?? ''));
  if (start < 0) return undefined;
  const cellsOf = (l: string): string[] => l.split('|').slice(1, -1).map((c) => c.trim().replace(/\*\*/g, ''));
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]?.startsWith('|'); i++) rows.push(cellsOf(lines[i] as string));
  return { header: cellsOf(lines[start] as string), rows };
}

/** The median part of a rendered cell: "2.46 (2.46–2.46)" → "2.46". */
const medianOf = (rendered: string): string => rendered.split(' (')[0] as string;

/** Every value of a README table that differs from the same mode and size in the table rendered from the record. */
function tableMismatches(what: string, readmeTable: ReturnType<typeof markdownTable>, derived: ReturnType<typeof markdownTable>): string[] {
  if (!readmeTable) return [`README.md: no "${what}" table`];
  if (!derived) return [`rendered table.md: no "${what}" table`];
  const out: string[] = [];
  if (JSON.stringify(readmeTable.header.slice(1)) !== JSON.stringify(derived.header.slice(1))) {
    out.push(`${what}: README columns ${readmeTable.header.slice(1).join(', ')}, the record's ${derived.header.slice(1).join(', ')}`);
  }
  if (readmeTable.rows.length === 0) out.push(`${what}: README table has no rows`);
  for (const row of readmeTable.rows) {
    // "two-stage (userspace)" is the README's label for the mode two-stage.
    const mode = (row[0] ?? '').replace(/ \(.*\)$/, '');
    const ref = derived.rows.find((r) => r[0] === mode);
    if (!ref) {
      out.push(`${what}: README row "${row[0]}" is no mode of the record`);
      continue;
    }
    row.slice(1).forEach((value, i) => {
      const want = medianOf(ref[i + 1] ?? '');
      if (value !== want) out.push(`${what}, ${mode}, ${derived.header[i + 1]}: README ${value}, record median ${want}`);
    });
  }
  return out;
}

describe('published benchmark results', () => {
  it('are raw.json rendered by the benchmark code: table.md, plot.svg and summary.json byte for byte', async () => {
    for (const f of ['table.md', 'plot.svg', 'summary.json']) {
      const committed = await fs.readFile(path.join(publishedResultsDir, f), 'utf8');
      expect(await fs.readFile(path.join(derivedDir, f), 'utf8'), `${f}: re-render with \`iofs bench --from <run> --publish\``).toBe(committed);
    }
  });

  it("README.md's time to /init and MemAvailable tables state the record's medians", () => {
    const time = tableMismatches('time to /init (s)', markdownTable(readme, /^time to \/init \(s\)$/), markdownTable(derivedTable.split('### Time to /init')[1] ?? '', /^mode$/));
    const mem = tableMismatches('MemAvailable at /init', markdownTable(readme, /^MemAvailable at \/init \(MiB of \d+\)$/), markdownTable(derivedTable.split('### MemAvailable at /init')[1] ?? '', /^mode$/));
    expect([...time, ...mem]).toEqual([]);
    const memHeader = /\| MemAvailable at \/init \(MiB of (\d+)\) \|/.exec(readme)?.[1];
    expect(memHeader, 'the guest memory in the MemAvailable header').toBe(String(raw.meta.memoryMiB));
  });

  it("README.md's description of the run is the record's", () => {
    const intro = (/Latest published run:([\s\S]*?)\n\n/.exec(readme)?.[1] ?? '').replace(/\s+/g, ' ');
    const shape = /(\d+) cells x (\d+) boots, all passed/.exec(intro);
    expect(shape?.slice(1), '"N cells x B boots, all passed"').toEqual([String(cells.length), String(raw.meta.bootsPerCell)]);
    expect(cells.filter((c) => c.passed !== c.boots || c.boots !== raw.meta.bootsPerCell).map((c) => c.cell), 'cells without all boots passed').toEqual([]);
    const wall = /in ([\d.]+) min on this (\d+)-CPU (.+?) host/.exec(intro);
    expect(wall?.slice(1), 'wall time, CPUs and CPU model').toEqual([(raw.meta.wallS! / 60).toFixed(1), String(raw.meta.machine.cpus), raw.meta.machine.cpuModel]);
    const releases = Object.values(raw.meta.kernels).map((k) => k.release);
    expect(/; (\S+) with the series/.exec(intro)?.[1], 'kernel release').toBe(releases.length === 1 ? releases[0] : releases.join(', '));
    expect(/-icount shift=(\d+)/.exec(intro)?.[1], 'guest clock').toBe(/-icount shift=(\d+)/.exec(raw.meta.clock)?.[1]);
    expect(/(\d+) MiB guest/.exec(intro)?.[1], 'guest memory').toBe(String(raw.meta.memoryMiB));
  });
});

/**
 * The arm64 record (test-vms/bench/results-arm64/, `iofs bench --arch arm64
 * --publish`) re-renders byte for byte too, and the README's arm64-beside-
 * x86_64 tables state its medians and those of the x86_64 record of the
 * same modes and sizes (test-vms/bench/results-7.3/).
 */
describe('published arm64 benchmark results', () => {
  const arm64Dir = publishedDirFor({ arch: 'arm64' });
  const x86Dir = path.join(path.dirname(publishedResultsDir), 'results-7.3');
  let arm64Table = '';
  let x86Table = '';
  let dir = '';
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-bench-arm64-'));
    // As `iofs bench --from <run> --publish` renders it: raw.json read through its schema.
    const render = async (from: string, into: string): Promise<string> => {
      const r = await loadRawResults(from);
      await fs.mkdir(into, { recursive: true });
      return (await writeResults(await loadMatrix(), { meta: r.meta, records: r.boots, cells: summarize(r.boots) }, into)).markdown;
    };
    arm64Table = await render(arm64Dir, path.join(dir, 'arm64'));
    x86Table = await render(x86Dir, path.join(dir, 'x86'));
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('are raw.json rendered by the benchmark code, with the arch recorded', async () => {
    for (const f of ['table.md', 'plot.svg', 'summary.json']) {
      expect(await fs.readFile(path.join(dir, 'arm64', f), 'utf8'), f).toBe(await fs.readFile(path.join(arm64Dir, f), 'utf8'));
    }
    const meta = (JSON.parse(await fs.readFile(path.join(arm64Dir, 'raw.json'), 'utf8')) as typeof raw).meta;
    expect(meta.arch).toBe('arm64');
  });

  it("README.md's arm64 beside x86_64 tables state both records' medians", () => {
    const medians = (table: string, section: string): Map<string, string[]> => {
      const t = markdownTable(table.split(section)[1] ?? '', /^mode$/);
      return new Map((t?.rows ?? []).map((r) => [r[0] ?? '', r.slice(1).map(medianOf)]));
    };
    const mismatches: string[] = [];
    for (const [what, section] of [['time to /init (s)', '### Time to /init'], ['MemAvailable at /init (MiB of 4096)', '### MemAvailable at /init']] as const) {
      const readmeTable = markdownTable(readme, new RegExp(`^arm64 vs x86_64: ${what.replace(/[()/]/g, '\\$&')}$`));
      if (!readmeTable || readmeTable.rows.length === 0) {
        mismatches.push(`README.md: no "arm64 vs x86_64: ${what}" table`);
        continue;
      }
      const arm64 = medians(arm64Table, section);
      const x86 = medians(x86Table, section);
      for (const row of readmeTable.rows) {
        const want = [...(arm64.get(row[0] ?? '') ?? []), ...(x86.get(row[0] ?? '') ?? [])];
        if (JSON.stringify(row.slice(1)) !== JSON.stringify(want)) mismatches.push(`${what}, ${row[0]}: README ${row.slice(1).join(' ')}, records ${want.join(' ')}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

/**
 * A side record (test-vms/bench/<dir>/, one `iofs bench --out` run kept for
 * a README section): it re-renders byte for byte, and `readmeChecks` compare
 * the README's figures with its rendered table.md.
 */
function describeSideRecord(title: string, dirName: string, readmeChecks: Record<string, (table: string) => void>): void {
  describe(title, () => {
    const dir = path.join(path.dirname(publishedResultsDir), dirName);
    let out = '';
    let table = '';
    beforeAll(async () => {
      out = await fs.mkdtemp(path.join(os.tmpdir(), `iofs-bench-${dirName}-`));
      const r = await loadRawResults(dir);
      table = (await writeResults(await loadMatrix(), { meta: r.meta, records: r.boots, cells: summarize(r.boots) }, out)).markdown;
    });
    afterAll(async () => {
      if (out) await fs.rm(out, { recursive: true, force: true });
    });

    it('are raw.json rendered by the benchmark code', async () => {
      for (const f of ['table.md', 'plot.svg', 'summary.json']) {
        expect(await fs.readFile(path.join(out, f), 'utf8'), f).toBe(await fs.readFile(path.join(dir, f), 'utf8'));
      }
    });
    for (const [name, check] of Object.entries(readmeChecks)) it(name, () => check(table));
  });
}

/** The page-cache record: the read case with meminfo's Cached. */
describeSideRecord('published page-cache benchmark results', 'results-pagecache', {
  "README.md's page-cache table states the record's read table": (table) => {
    const derived = markdownTable(table.split('### Reading data')[1] ?? '', /^mode$/);
    expect(derived?.header, 'the record measured the page cache').toContain('page cache added by the read MiB');
    expect(tableMismatches('page cache', markdownTable(readme, /^7\.3 page cache, reading one file at \+256M$/), derived)).toEqual([]);
  },
});

/** The verification record: no verification, SHA-256 up front and dm-verity per block, side by side on one kernel. */
describeSideRecord('published verification benchmark results', 'results-verity', {
  "README.md's up-front-against-per-block table and read figures state the record's medians": (table) => {
    const derived = markdownTable(table.split('### Time to /init')[1] ?? '', /^mode$/);
    expect(tableMismatches('verification', markdownTable(readme, /^7\.3 time to \/init \(s\), verification$/), derived)).toEqual([]);
    const read = markdownTable(table.split('### Reading data')[1] ?? '', /^mode$/);
    const readS = (mode: string): string | undefined => medianOf(read?.rows.find((r) => r[0] === mode)?.[1] ?? '');
    const stated = /Reading a 2 MiB payload file after \/init \(\+256M\) takes ([\d.]+) s on bdev and ([\d.]+) s through dm-verity/.exec(readme.replace(/\s+/g, ' '));
    expect(stated?.slice(1), 'the README sentence on reading through dm-verity').toEqual([readS('kernel-bdev'), readS('kernel-bdev-verity')]);
  },
});
