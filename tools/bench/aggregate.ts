/**
 * Per-boot records and their aggregation per cell: median, min and max of
 * every metric over the boots that reached SSH. Pure.
 */
import { parseConsoleFacts, stripControl, splitPrintk } from '../vm/index.js';

/** What one boot measured; every field is optional because a boot can fail anywhere. */
export interface BootMetrics {
  /** printk time of "Run /init as init process" (for two-stage: the first stage's /init). */
  runInitS?: number;
  /** printk span "Unpacking initramfs" → "Freeing initrd memory" (cpio modes; the first stage's cpio in two-stage). */
  unpackS?: number;
  /** Guest uptime at the real /init's first marker: "time to /init". */
  initUptimeS?: number;
  /** MemAvailable at that marker, kB. */
  memAvailableKb?: number;
  /** MemTotal at that marker, kB (lower in kernel mode: the image stays reserved). */
  memTotalKb?: number;
  /** Host wall time from QEMU start to an SSH login. */
  sshReadyS?: number;
  /** Two-stage: guest uptime when the first stage's /init started. */
  stage1UptimeS?: number;
  /** Kernel mode: the time initrd_erofs printed for its mount, µs. */
  kernelMountUs?: number;
  /** The kernel's SHA-256 of the image before mounting it (initrd_erofs_sha256=). */
  digestUs?: number;
  /** Read case: guest uptime from the init marker to the read marker (the file fully read). */
  readS?: number;
  /** Read case: MemAvailable after the read, kB. */
  memAvailableAfterReadKb?: number;
  /** Read case: the page cache (meminfo Cached) after the read, kB. */
  cachedAfterReadKb?: number;
  /**
   * Read case: what the read added to the page cache, kB (Cached after it
   * minus at the init marker): the file's decompressed pages, plus whatever
   * the backend caches of the image on the way (a bdev's compressed blocks).
   */
  cachedByReadKb?: number;
}

export const METRICS = [
  'runInitS', 'unpackS', 'initUptimeS', 'memAvailableKb', 'memTotalKb', 'sshReadyS', 'stage1UptimeS', 'kernelMountUs', 'digestUs', 'readS', 'memAvailableAfterReadKb', 'cachedAfterReadKb', 'cachedByReadKb',
] as const satisfies ReadonlyArray<keyof BootMetrics>;
export type Metric = (typeof METRICS)[number];

export interface BootRecord {
  cell: string;
  mode: string;
  sizeLabel: string;
  sizeBytes: number;
  read: boolean;
  boot: number;
  outcome: string;
  reason: string;
  /** Relative to the results directory. */
  runDir: string;
  initrdBytes?: number;
  diskBytes?: number;
  metrics: BootMetrics;
  /** Whatever went wrong with the measurement itself (a marker missing…). */
  problems: string[];
}

const MOUNT_LINE = /initrd_erofs: mounted \d+-byte image .* in (\d+) us/;
const DIGEST_LINE = /initrd_erofs: image SHA-256 matches initrd_erofs_sha256= \(\d+ bytes in (\d+) us\)/;

/**
 * Facts the runner's results.json does not carry, from the console lines
 * (without the host timestamps): the first stage's and the read marker, the
 * kernel-mode mount time.
 */
export function extraConsoleMetrics(lines: readonly string[]): { metrics: BootMetrics; problems: string[] } {
  const metrics: BootMetrics = {};
  const problems: string[] = [];
  const facts = parseConsoleFacts(lines);
  const find = (stage: string) => facts.markers.find((m) => m.stage === stage);
  const init = find('init');
  const stage1 = find('stage1');
  if (stage1?.uptime !== undefined) metrics.stage1UptimeS = stage1.uptime;
  const read = find('read');
  if (read) {
    if (read.fields.error) problems.push(`/init could not read ${read.fields.file ?? 'the file'} (error=${read.fields.error})`);
    else if (read.uptime !== undefined && init?.uptime !== undefined) metrics.readS = round6(read.uptime - init.uptime);
    const after = Number(read.fields.mem_available_kb);
    if (read.fields.mem_available_kb !== undefined && Number.isFinite(after)) metrics.memAvailableAfterReadKb = after;
    const cachedAfter = kb(read.fields.cached_kb);
    const cachedBefore = kb(init?.fields.cached_kb);
    if (cachedAfter !== undefined) metrics.cachedAfterReadKb = cachedAfter;
    if (cachedAfter !== undefined && cachedBefore !== undefined) metrics.cachedByReadKb = cachedAfter - cachedBefore;
  }
  for (const raw of lines) {
    const message = splitPrintk(stripControl(raw)).message;
    const d = DIGEST_LINE.exec(message);
    if (d) metrics.digestUs = Number(d[1]);
    const m = MOUNT_LINE.exec(message);
    if (m) {
      metrics.kernelMountUs = Number(m[1]);
      break;
    }
  }
  return { metrics, problems };
}

/** A marker's kB field as a number; undefined when absent or "?" (an older guest /init, a missing meminfo line). */
function kb(field: string | undefined): number | undefined {
  if (field === undefined || !/^\d+$/.test(field)) return undefined;
  return Number(field);
}

/** console.log lines are `[+12.345s] <line>`: the guest's line without the host timestamp. */
export function stripHostTimestamp(line: string): string {
  const m = /^\[\+\d+(?:\.\d+)?s\] ?(.*)$/.exec(line);
  return m ? (m[1] ?? '') : line;
}

export interface Stats {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function stats(values: readonly number[]): Stats | undefined {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return undefined;
  return { n: v.length, median: median(v), min: Math.min(...v), max: Math.max(...v) };
}

export interface CellSummary {
  cell: string;
  mode: string;
  sizeLabel: string;
  sizeBytes: number;
  read: boolean;
  boots: number;
  /** Boots that reached SSH and passed the mode's checks: only these are aggregated. */
  passed: number;
  failures: Array<{ boot: number; outcome: string; reason: string; runDir: string }>;
  initrdBytes?: number;
  diskBytes?: number;
  stats: Partial<Record<Metric, Stats>>;
}

/** One summary per cell, in the order cells first appear in `records`. */
export function summarize(records: readonly BootRecord[]): CellSummary[] {
  const byCell = new Map<string, BootRecord[]>();
  for (const r of records) {
    const list = byCell.get(r.cell) ?? [];
    list.push(r);
    byCell.set(r.cell, list);
  }
  return [...byCell.values()].map((list) => {
    const first = list[0]!;
    const ok = list.filter((r) => r.outcome === 'PASS');
    const s: CellSummary = {
      cell: first.cell,
      mode: first.mode,
      sizeLabel: first.sizeLabel,
      sizeBytes: first.sizeBytes,
      read: first.read,
      boots: list.length,
      passed: ok.length,
      failures: list.filter((r) => r.outcome !== 'PASS').map((r) => ({ boot: r.boot, outcome: r.outcome, reason: r.reason, runDir: r.runDir })),
      stats: {},
    };
    if (first.initrdBytes !== undefined) s.initrdBytes = first.initrdBytes;
    if (first.diskBytes !== undefined) s.diskBytes = first.diskBytes;
    for (const m of METRICS) {
      const st = stats(ok.map((r) => r.metrics[m]).filter((x): x is number => x !== undefined));
      if (st) s.stats[m] = st;
    }
    return s;
  });
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
