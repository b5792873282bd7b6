/**
 * The benchmark report as markdown: what ran where, then mode × size tables
 * (median and min–max of the boots), the read case, and the ratios the
 * README quotes. Pure: summaries in, text out.
 */
import type { CellSummary, Metric, Stats } from './aggregate.js';

/** How a mode gets its root: what the ratios compare. */
export type ModeKind = 'cpio' | 'two-stage' | 'kernel';

export interface ReportMode {
  name: string;
  kind: ModeKind;
  description: string;
}

export interface ReportInput {
  title?: string;
  modes: ReportMode[];
  cells: CellSummary[];
  /** Lines describing the run (machine, QEMU, accel, kernel…), printed as a list. */
  facts: Array<[string, string]>;
  /** Modes left out, and why. */
  skipped?: Array<{ mode: string; reason: string }>;
}

const MIB = 1024;

function fmt(n: number, digits: number): string {
  return n.toFixed(digits);
}

/** "1.23 (1.20–1.31)", or just the value for one boot. */
export function formatStats(s: Stats | undefined, digits: number, scale = 1): string {
  if (!s) return '–';
  const med = fmt(s.median / scale, digits);
  if (s.n === 1) return med;
  return `${med} (${fmt(s.min / scale, digits)}–${fmt(s.max / scale, digits)})`;
}

function sizesOf(cells: readonly CellSummary[]): Array<{ label: string; bytes: number }> {
  const m = new Map<number, string>();
  for (const c of cells) if (!c.read && !m.has(c.sizeBytes)) m.set(c.sizeBytes, c.sizeLabel);
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([bytes, label]) => ({ label, bytes }));
}

function cellAt(cells: readonly CellSummary[], mode: string, bytes: number, read = false): CellSummary | undefined {
  return cells.find((c) => c.mode === mode && c.sizeBytes === bytes && c.read === read);
}

function row(values: string[]): string {
  return `| ${values.join(' | ')} |`;
}

function modeTable(input: ReportInput, value: (c: CellSummary) => string): string[] {
  const sizes = sizesOf(input.cells);
  const modes = input.modes.filter((m) => input.cells.some((c) => c.mode === m.name && !c.read));
  const out = [row(['mode', ...sizes.map((s) => (s.bytes === 0 ? 'bare guest' : `+${s.label}`))]), row(['---', ...sizes.map(() => '---:')])];
  for (const m of modes) {
    out.push(row([m.name, ...sizes.map((s) => {
      const c = cellAt(input.cells, m.name, s.bytes);
      if (!c) return '';
      const v = value(c);
      // A cell with failed boots says so next to its numbers.
      return c.passed < c.boots ? `${v} ⚠ ${c.passed}/${c.boots} ok` : v;
    })]));
  }
  return out;
}

function bytesCell(c: CellSummary): string {
  const mb = (b: number): string => (b >= 10e6 ? (b / 1e6).toFixed(0) : (b / 1e6).toFixed(1));
  if (c.initrdBytes === undefined) return '–';
  return c.diskBytes !== undefined ? `${mb(c.initrdBytes)} + disk ${mb(c.diskBytes)}` : mb(c.initrdBytes);
}

const median = (c: CellSummary | undefined, m: Metric): number | undefined => c?.stats[m]?.median;

/** Ratio lines: each kernel mode's time to /init divided by every other mode's, per size. */
function ratioTables(input: ReportInput): string[] {
  const sizes = sizesOf(input.cells);
  const kernelModes = input.modes.filter((m) => m.kind === 'kernel' && input.cells.some((c) => c.mode === m.name));
  const others = input.modes.filter((m) => m.kind !== 'kernel' && input.cells.some((c) => c.mode === m.name));
  const out: string[] = [];
  for (const k of kernelModes) {
    out.push('', `Time to /init of **${k.name}** divided by each other mode's (medians; below 1 means kernel mode reaches /init sooner), and MemAvailable at /init of ${k.name} minus the other's (MiB; positive means kernel mode leaves more memory):`, '');
    out.push(row(['vs', ...sizes.map((s) => (s.bytes === 0 ? 'bare guest' : `+${s.label}`))]), row(['---', ...sizes.map(() => '---:')]));
    for (const o of others) {
      out.push(row([o.name, ...sizes.map((s) => {
        const kc = cellAt(input.cells, k.name, s.bytes);
        const oc = cellAt(input.cells, o.name, s.bytes);
        const kt = median(kc, 'initUptimeS');
        const ot = median(oc, 'initUptimeS');
        const km = median(kc, 'memAvailableKb');
        const om = median(oc, 'memAvailableKb');
        const parts: string[] = [];
        if (kt !== undefined && ot !== undefined && ot > 0) parts.push(`${(kt / ot).toFixed(2)}x`);
        if (km !== undefined && om !== undefined) parts.push(`${km - om >= 0 ? '+' : '−'}${Math.abs((km - om) / MIB).toFixed(0)} MiB`);
        return parts.join(', ') || '–';
      })]));
    }
  }
  return out;
}

function readTable(input: ReportInput): string[] {
  const reads = input.cells.filter((c) => c.read);
  if (reads.length === 0) return [];
  const size = reads[0]!.sizeLabel;
  const out = [
    '',
    `### Reading data: /init reads one payload file (+${size})`,
    '',
    'Right after its first marker, /init reads the largest payload file (`iofs.read=`, `cat > /dev/null`). "read" is the guest uptime from that marker to the end of the read: a cpio guest reads from tmpfs, EROFS modes decompress (lz4hc) on first access, two-stage also reads the virtio disk.',
    '',
  ];
  // The page-cache columns only where the boots measured it (records from before the guest's cached_kb have none).
  const cache = reads.some((c) => c.stats.cachedByReadKb !== undefined);
  out.push(
    row(['mode', 'read s', 'time to /init s', 'MemAvailable after read MiB', ...(cache ? ['page cache added by the read MiB', 'page cache after read MiB'] : []), 'same cell without the read: time to /init s']),
    row(['---', '---:', '---:', '---:', ...(cache ? ['---:', '---:'] : []), '---:']),
  );
  for (const c of reads) {
    const plain = cellAt(input.cells, c.mode, c.sizeBytes);
    out.push(row([
      c.mode,
      formatStats(c.stats.readS, 3),
      formatStats(c.stats.initUptimeS, 2),
      formatStats(c.stats.memAvailableAfterReadKb, 0, MIB),
      ...(cache ? [formatStats(c.stats.cachedByReadKb, 0, MIB), formatStats(c.stats.cachedAfterReadKb, 0, MIB)] : []),
      formatStats(plain?.stats.initUptimeS, 2),
    ]));
  }
  if (cache) {
    out.push(
      '',
      '"page cache added by the read" is meminfo\'s Cached after the read minus at the init marker: the file\'s decompressed pages, plus what the backend caches of the image itself. In place, the image\'s pages already are the page cache of the file EROFS reads (counted before the read); the bdev backend caches the compressed blocks it reads a second time, in the block device\'s page cache; a cpio guest\'s file was in tmpfs (shmem, also Cached) before /init ran.',
    );
  }
  return out;
}

export function renderMarkdown(input: ReportInput): string {
  const out: string[] = [];
  out.push(`## ${input.title ?? 'Boot time and memory against initrd size'}`, '');
  for (const [k, v] of input.facts) out.push(`- ${k}: ${v}`);
  if (input.skipped?.length) for (const s of input.skipped) out.push(`- not run: ${s.mode} (${s.reason})`);
  const counts = input.cells.map((c) => c.passed);
  const lo = Math.min(...counts);
  const n = Math.max(0, ...counts);
  const each =
    n <= 1 ? 'one boot per cell'
    : lo === n ? `median (min–max) of ${n} boots per cell`
    : `median (min–max) of ${lo}–${n} boots per cell (a cell with one boot shows its value alone)`;
  out.push(
    '',
    `### Time to /init (s): guest uptime at /init's first marker; ${each}`,
    '',
    ...modeTable(input, (c) => formatStats(c.stats.initUptimeS, 2)),
    '',
    `### MemAvailable at /init (MiB); ${each}`,
    '',
    ...modeTable(input, (c) => formatStats(c.stats.memAvailableKb, 0, MIB)),
    '',
    '### Image size (MB): the initrd the bootloader loads (two-stage: plus the EROFS disk)',
    '',
    ...modeTable(input, bytesCell),
    '',
    '### Where the time goes (s, medians): kernel "Run /init" printk time / initramfs unpack span / SSH ready (host wall)',
    '',
    ...modeTable(input, (c) => [c.stats.runInitS, c.stats.unpackS, c.stats.sshReadyS].map((s) => (s ? fmt(s.median, 2) : '–')).join(' / ')),
    ...readTable(input),
  );
  const ratios = ratioTables(input);
  if (ratios.length) out.push('', '### Kernel mode against the others', ...ratios);
  const failures = input.cells.flatMap((c) => c.failures.map((f) => `- ${c.cell} boot ${f.boot}: ${f.outcome}: ${f.reason} (${f.runDir})`));
  if (failures.length) out.push('', '### Boots left out (not PASS)', '', ...failures);
  return `${out.join('\n')}\n`;
}
