/**
 * The real-handover benchmark (issue 11): a distribution's initrd handing
 * over to a real root, as its own cpio and as EROFS with each backend. Rows
 * are data (test-vms/bench/handover.json): a handover scenario, optionally
 * with extra kernel parameters. Each boot is a VM harness run of that
 * scenario (its checks included) under a deterministic guest clock; the
 * numbers come from the real root's markers: the init marker's uptime (time
 * from kernel start to the real root's init), and MemTotal and MemAvailable
 * once the real root has settled (settledMemory()).
 *
 * Effects: runBoots() writes a scenario file per row and boots; everything
 * else (the plan, the records' reduction, the table) is pure.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { writeFileAtomic } from '../common/atomic.js';
import { testVmsDir } from '../common/paths.js';
import { bool, dataObject, int, list, loadJsonFile, nonEmptyString, str } from '../common/schema.js';
import { runScenarios, scenarioPath, type RunResult } from '../vm/index.js';
import { median } from './aggregate.js';

export const handoverBenchFile = path.join(testVmsDir, 'bench', 'handover.json');
export const publishedHandoverDir = path.join(testVmsDir, 'bench', 'handover-results');

const rowSchema = dataObject({
  name: nonEmptyString(),
  scenario: nonEmptyString('a handover scenario name'),
  append: v.optional(str(), ''),
  /** Replaces the scenario's expectBoot.consoleMatches (e.g. the backend the row's append selects). */
  consoleMatches: v.optional(list(nonEmptyString())),
  /** initrd_erofs_sha256= with the converted image's own digest (issue 15). */
  digest: v.optional(bool()),
  /** initrd_erofs_verity= with the root of the converted image's hash tree (issue 15, block by block). */
  verity: v.optional(bool()),
  description: v.optional(str(), ''),
});

export const handoverBenchSchema = dataObject({
  $comment: v.optional(str()),
  description: v.optional(str(), ''),
  boots: int(1, 50),
  icount: int(0, 10),
  bootTimeoutS: v.optional(int(1, 3600), 600),
  rows: list(rowSchema, 'a list of rows'),
});

export type HandoverBench = v.InferOutput<typeof handoverBenchSchema>;
export type HandoverRow = HandoverBench['rows'][number];

export async function loadHandoverBench(file = handoverBenchFile): Promise<HandoverBench> {
  return loadJsonFile(handoverBenchSchema, file);
}

const num = () => v.optional(v.number());

/** raw.json of a run: the bench as it ran, and every boot. */
export const handoverRawSchema = dataObject({
  bench: handoverBenchSchema,
  boots: list(dataObject({
    row: nonEmptyString(), boot: int(1, 50), outcome: nonEmptyString(), reason: str(), runDir: str(),
    kernelRunInitS: num(), realInitS: num(), memTotalKb: num(), memAvailableKb: num(),
  })),
});

/** One boot, as kept in raw.json. */
export interface HandoverBoot {
  row: string;
  boot: number;
  outcome: string;
  reason: string;
  runDir: string;
  /** printk time of "Run /init" (the initrd's /init). */
  kernelRunInitS?: number;
  /** Guest uptime at the real root's init marker: kernel start to the real root's init. */
  realInitS?: number;
  memTotalKb?: number;
  memAvailableKb?: number;
}

/**
 * Memory in the real root once it has settled: the real root's second
 * marker (stage=sshd, its dropbear listening), not the first. What the
 * handover frees is freed asynchronously (bdev: a work item after EROFS's
 * last close), and can land just after the init marker. Pure.
 */
export function settledMemory(consoleText: string): { memTotalKb?: number; memAvailableKb?: number } {
  const last = consoleText.split('\n').filter((l) => l.includes('IOFS_MARKER stage=sshd ')).at(-1);
  if (!last) return {};
  const avail = /mem_available_kb=(\d+)/.exec(last)?.[1];
  const total = /mem_total_kb=(\d+)/.exec(last)?.[1];
  return { ...(total ? { memTotalKb: Number(total) } : {}), ...(avail ? { memAvailableKb: Number(avail) } : {}) };
}

/** What a run's result and console say about the boot. Pure. */
export function handoverBoot(row: string, boot: number, r: RunResult, consoleText: string): HandoverBoot {
  const t = r.timings;
  return {
    row, boot, outcome: r.outcome, reason: r.reason, runDir: r.runDir,
    ...(t.kernelRunInitS !== undefined ? { kernelRunInitS: t.kernelRunInitS } : {}),
    ...(t.markerInitUptimeS !== undefined ? { realInitS: t.markerInitUptimeS } : {}),
    ...settledMemory(consoleText),
  };
}

const med = (xs: Array<number | undefined>): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length ? median(v) : undefined;
};

/** The table: medians of the passing boots per row, and each row against the first (the cpio baseline). Pure. */
export function handoverTable(bench: HandoverBench, boots: HandoverBoot[]): string {
  const rows = bench.rows.map((row) => {
    const ok = boots.filter((b) => b.row === row.name && b.outcome === 'PASS');
    return { row, n: ok.length, of: boots.filter((b) => b.row === row.name).length, init: med(ok.map((b) => b.realInitS)), total: med(ok.map((b) => b.memTotalKb)), avail: med(ok.map((b) => b.memAvailableKb)) };
  });
  const base = rows[0];
  const fmt = (x: number | undefined, f: (x: number) => string): string => (x === undefined ? '–' : f(x));
  const mib = (kb: number): string => (kb / 1024).toFixed(1);
  const delta = (x: number | undefined, b: number | undefined): string => (x === undefined || b === undefined ? '–' : `${x - b >= 0 ? '+' : ''}${((x - b) / 1024).toFixed(1)}`);
  const lines = [
    '| row | boots passed | to the real root\'s init (s) | vs first | MemTotal (MiB) | Δ MiB | MemAvailable (MiB) | Δ MiB |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.row.name} | ${r.n}/${r.of} | ${fmt(r.init, (x) => x.toFixed(2))} | ${r.init !== undefined && base?.init ? `${(r.init / base.init).toFixed(2)}x` : '–'} | ${fmt(r.total, mib)} | ${delta(r.total, base?.total)} | ${fmt(r.avail, mib)} | ${delta(r.avail, base?.avail)} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Boot every row `bench.boots` times (round-robin), one at a time; raw.json is rewritten after each boot. */
export async function runHandoverBench(bench: HandoverBench, outDir: string, signal?: AbortSignal): Promise<HandoverBoot[]> {
  await fs.mkdir(outDir, { recursive: true });
  const files = new Map<string, string>();
  for (const row of bench.rows) {
    const scenario = JSON.parse(await fs.readFile(scenarioPath(row.scenario), 'utf8')) as Record<string, unknown> & {
      append?: string; initrd: Record<string, unknown>; disk?: Record<string, unknown>; expectBoot?: Record<string, unknown>;
    };
    // The scenario file moves: its relative paths are made absolute.
    const from = path.dirname(scenarioPath(row.scenario));
    for (const spec of [scenario.initrd, scenario.disk]) {
      if (!spec) continue;
      for (const k of ['manifest', 'over', 'early', 'append', 'image'] as const) {
        const v = spec[k];
        if (typeof v === 'string') spec[k] = path.resolve(from, v);
        else if (Array.isArray(v)) spec[k] = v.map((p) => path.resolve(from, String(p)));
      }
    }
    scenario.append = [scenario.append, row.append].filter(Boolean).join(' ');
    if (row.digest) scenario.initrd = { ...scenario.initrd, digest: 'auto' };
    if (row.verity) scenario.initrd = { ...scenario.initrd, verity: 'auto' };
    if (row.consoleMatches) scenario.expectBoot = { ...scenario.expectBoot, consoleMatches: row.consoleMatches };
    scenario.bootTimeoutS = bench.bootTimeoutS;
    const file = path.join(outDir, 'scenarios', `${row.name}.json`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${JSON.stringify(scenario, null, 2)}\n`);
    files.set(row.name, file);
  }
  const boots: HandoverBoot[] = [];
  for (let boot = 1; boot <= bench.boots; boot++) {
    for (const row of bench.rows) {
      signal?.throwIfAborted();
      const suite = await runScenarios({ scenarios: [files.get(row.name) as string], jobs: 1, keepGoing: true, accel: 'tcg', icountShift: bench.icount, runsDir: path.join(outDir, 'runs'), ...(signal ? { signal } : {}) });
      for (const r of suite.results) {
        const consoleText = await fs.readFile(path.join(r.runDir, 'console.log'), 'utf8').catch(() => '');
        boots.push(handoverBoot(row.name, boot, r, consoleText));
      }
      await writeFileAtomic(path.join(outDir, 'raw.json'), `${JSON.stringify({ bench, boots }, null, 2)}\n`);
    }
  }
  return boots;
}
