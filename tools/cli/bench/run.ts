import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, InputError } from '../../common/errors.js';
import { log } from '../../common/log.js';
import type { BenchMatrix, BenchMeta, BenchPlan, BootRecord, IcountShift, RawRun, Selection } from '../../bench/index.js';
import type { AccelMode } from '../../vm/index.js';
import { action, type ActionContext } from '../action.js';
import { KCIDB_HELP, accelOption, archOption, jobsOption, kcidbCacheUrlOption, kcidbOption, kcidbOriginOption, parsePositiveInt, type KcidbCliOptions } from '../options.js';

interface BenchCliOptions extends KcidbCliOptions {
  handover?: boolean;
  matrix?: string;
  modes?: string[];
  sizes?: string[];
  boots?: number;
  read: boolean;
  icount?: IcountShift | 'off';
  accel: AccelMode;
  kernel?: string;
  out?: string;
  publish?: boolean;
  from?: string;
  dryRun?: boolean;
  bootTimeout?: number;
  jobs?: number;
  arch?: string;
}

function parseList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError('must be a comma-separated list');
  return list;
}

function parseBenchIcount(value: string): IcountShift | 'off' {
  if (value === 'off' || value === 'auto') return value;
  if (!/^\d+$/.test(value) || Number(value) > 10) throw new InvalidArgumentError('must be 0-10, "auto" or "off"');
  return Number(value);
}

export function registerBenchRun(program: Command): Command {
  return program
    .command('bench')
    .description('measure time to /init and memory against initrd size: cpio (none, gzip, zstd, lz4), the userspace two-stage boot, and kernel mode')
    .option('--handover', 'the real-handover benchmark instead (test-vms/bench/handover.json): Debian\'s initramfs-tools image to a real root, as cpio-zstd and as EROFS with each backend; takes --boots, --out, --publish')
    .option('--matrix <file>', 'the matrix of modes and sizes (default: test-vms/bench/matrix.json)')
    .option('--modes <a,b>', 'only these modes (names in the matrix)', parseList)
    .option('--sizes <0,64M>', 'payload sizes instead of the matrix\'s (binary units)', parseList)
    .option('--boots <n>', 'boots per cell (default: the matrix\'s)', parsePositiveInt)
    .option('--boot-timeout <s>', 'seconds from QEMU start to SSH (default: the matrix\'s); a loaded host needs more for the large cpio cells', parsePositiveInt)
    .option('--no-read', 'leave out the read case (/init reads one payload file)')
    .option('--icount <shift>', 'guest clock: QEMU -icount shift=N (0-10: deterministic, 2^N ns per instruction), auto, or off (host wall clock); default: the matrix\'s', parseBenchIcount)
    .addOption(accelOption())
    .addOption(archOption('build, pack and boot for this architecture: arm64 cross-builds the matrix\'s kernel and boots qemu-system-aarch64 (TCG); --publish then writes test-vms/bench/results-arm64/'))
    .option('-k, --kernel <bzImage>', 'boot this kernel in every mode instead of building the matrix\'s')
    .option('--out <dir>', 'results directory (default: <cache>/bench/<UTC stamp>/)')
    .option('--publish', 'also copy the results to test-vms/bench/results/ (what the README shows)')
    .option('--from <dir,…>', 'do not boot: re-render table, plot and summary from <dir>/raw.json; several runs (same kernel and clock, e.g. side by side) are merged into --out')
    .addOption(jobsOption('boots at once (default: one per CPU that has the guest\'s memory free when the guest clock is deterministic, else 1)'))
    .option('--dry-run', 'print the plan (cells, images, boots) and exit')
    .addOption(kcidbOption())
    .addOption(kcidbOriginOption())
    .addOption(kcidbCacheUrlOption())
    .addHelpText(
      'after',
      `
Every cell (mode × size) boots the matrix's kernel ${'\u2014'} the same kernel for every
mode, the series built in ${'\u2014'} with the same guest memory, --boots times,
round-robin over the cells. Under the default deterministic guest clock
boots run side by side (--jobs), one per CPU: guest-side numbers count
instructions, so only host wall times (SSH ready) feel the sharing; with
--icount off or auto they run one at a time. Images are packed once per
(content, format, compression, size) into <cache>/bench/images/ and reused by
later runs. Each boot is a VM harness run (run directory under <out>/runs/).

Prints the markdown table on stdout and writes into the results directory:
  table.md      the tables (time to /init, MemAvailable, image size, where the
                time goes, the read case, kernel mode's ratios) and the run's facts
  plot.svg      time to /init and MemAvailable against payload size, a line per mode
  raw.json      every boot: outcome, metrics, run directory (rewritten after each boot)
  summary.json  per cell: median, min, max of every metric

Modes, sizes and how to read the results: test-vms/bench/README.md.
The guest clock: the matrix's default is -icount shift=3 (each guest instruction
takes 8 ns of guest time), so guest-side numbers (time to /init, unpack) count
instructions and a rerun gives the same ones whatever the host load; host wall
times (SSH ready) still vary. Lower shifts make the kernel's busy-wait delays
cost far more host time (shift 1: ~90 s per boot here, against ~18 s).
--icount off uses the host's wall clock instead.
Under TCG, relative codec speeds differ from real hardware.

Exit: 0 every boot passed, 1 some boot did not (its cell shows ⚠, the table
lists it), 2 bad input, 5 infrastructure, 130 interrupted (results so far written).

--handover measures a real boot's whole initrd part instead: Debian's
initramfs-tools image (mkinitramfs for the test kernel) handing over to an
ext4 real root, as its own zstd cpio and as EROFS with each backend, each
boot a handover scenario with its checks. It writes table.md and raw.json
(every boot) into the results directory; --publish copies them to
test-vms/bench/handover-results/.

Examples:
  iofs bench                                   # the whole matrix (npm run bench)
  iofs bench --handover --publish              # time to the real root's init, memory there
  iofs bench --modes cpio-gzip,kernel-bdev --sizes 0,64M --boots 1
  iofs bench --icount auto --publish
  iofs bench --dry-run
  iofs bench --from .cache/bench/20261126T021500Z --publish
${KCIDB_HELP}
In the bench KCIDB: a DONE test iofs.bench.<mode>.<size> per cell and one per
metric (its median as the test's number).`,
    )
    .action(
      action(
        async (ctx, opts: BenchCliOptions) => {
          if (opts.kcidb && (opts.handover || opts.from || opts.dryRun)) {
            throw new InputError('--kcidb writes the results of a benchmark run: not with --handover, --from or --dry-run', { hint: 'run `iofs bench … --kcidb FILE`' });
          }
          if (opts.handover) return runHandover(ctx, opts);
          const { loadMatrix, defaultMatrixPath } = await import('../../bench/index.js');
          const loaded = await loadMatrix(path.resolve(opts.matrix ?? defaultMatrixPath));
          const matrix = opts.bootTimeout ? { ...loaded, bootTimeoutS: opts.bootTimeout } : loaded;
          if (opts.from) return rerender(matrix, opts.from, opts);
          const plan = await planFor(matrix, opts);
          if (opts.dryRun) return printPlan(plan);
          return runMatrix(ctx, matrix, plan, opts);
        },
        {
          stopping: 'stopping the current boot and writing the results so far',
          interrupted: 'interrupted before the boots; packed images so far are kept in the cache, no temporary output left',
        },
      ),
    );
}

/** --from: no boots, the results of earlier runs rendered again (several merged into --out). */
async function rerender(matrix: BenchMatrix, from: string, opts: BenchCliOptions): Promise<number> {
  const { loadRawResults, mergeRuns, publishResults, summarize, writeResults } = await import('../../bench/index.js');
  if (from.includes(',') && !opts.out) throw new InputError('--from with several runs needs --out DIR for the merged results');
  const outDir = path.resolve(opts.out ?? from);
  const runs: RawRun[] = [];
  for (const dir of from.split(',').map((d) => path.resolve(d.trim()))) {
    const raw = await loadRawResults(dir);
    runs.push({ dir: opts.out ? path.relative(outDir, dir) || '.' : '.', meta: raw.meta, boots: raw.boots });
  }
  const merged = mergeRuns(runs);
  if (runs.length > 1) {
    await fs.mkdir(outDir, { recursive: true });
    await fs.writeFile(path.join(outDir, 'raw.json'), `${JSON.stringify({ meta: merged.meta, boots: merged.boots }, null, 2)}\n`);
  }
  const { markdown } = await writeResults(matrix, { meta: merged.meta, records: merged.boots, cells: summarize(merged.boots) }, outDir);
  process.stdout.write(markdown);
  if (opts.publish) {
    const { publishedDirFor } = await import('../../bench/index.js');
    for (const f of await publishResults(outDir, publishedDirFor(merged.meta))) log.info(`published ${f}`);
  }
  return ExitCode.OK;
}

async function planFor(matrix: BenchMatrix, opts: BenchCliOptions): Promise<BenchPlan> {
  const { parseSizeSpec, planBench } = await import('../../bench/index.js');
  const { loadManifest } = await import('../../initrd/index.js');
  const manifest = await loadManifest(matrix.manifest);
  const sel: Selection = { read: opts.read, payloadDir: manifest.payloadDir };
  if (opts.modes) sel.modes = opts.modes;
  if (opts.sizes) sel.sizes = opts.sizes.map((s) => parseSizeSpec(s, `--sizes ${s}`));
  if (opts.boots) sel.boots = opts.boots;
  return planBench(matrix, sel);
}

function printPlan(plan: BenchPlan): number {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`${plan.cells.length} cells × ${plan.bootsPerCell} boots = ${plan.boots.length} boots`);
  for (const c of plan.cells) out(`cell ${c.id}: initrd ${c.initrd.id}${c.disk ? `, disk ${c.disk.id}` : ''}${c.append ? `, append "${c.append}"` : ''}`);
  for (const i of plan.images) out(`image ${i.id}`);
  for (const s of plan.skipped) out(`skipped ${s.mode}: ${s.reason}`);
  return ExitCode.OK;
}

/** The boots; on Ctrl-C the current boot stops and the results so far are written (exit 130). */
async function runMatrix({ signal }: ActionContext, matrix: BenchMatrix, plan: BenchPlan, opts: BenchCliOptions): Promise<number> {
  const { defaultBenchJobs, defaultOutDir, publishResults, runBench, writeResults } = await import('../../bench/index.js');
  const outDir = path.resolve(opts.out ?? defaultOutDir());
  const icountShift = opts.icount === 'off' ? undefined : (opts.icount ?? matrix.icount);
  const jobs = opts.jobs ?? defaultBenchJobs({ icountShift, cpus: os.cpus().length, freeMiB: os.freemem() / 2 ** 20, memoryMiB: matrix.memoryMiB });
  log.step(`bench: ${plan.cells.length} cells × ${plan.bootsPerCell} boots, ${jobs} at a time; results in ${outDir}`);
  const arch = opts.arch === undefined ? undefined : await (await import('../../common/arch.js')).getArch(opts.arch);
  const result = await runBench(matrix, plan, {
    outDir,
    ...(arch ? { arch } : {}),
    accel: opts.accel,
    icountShift,
    jobs,
    kernelOverride: opts.kernel,
    command: ['iofs', ...process.argv.slice(2)].join(' '),
    signal,
    onBoot: (r, done, total) => log.info(`bench [${done}/${total}] ${bootLine(r)}`),
  });
  const { markdown } = await writeResults(matrix, result, outDir);
  process.stdout.write(markdown);
  log.info(`results: ${outDir}`);
  if (opts.kcidb) await (await import('../kcidb.js')).writeBenchKcidb(opts.kcidb, plan, result, outDir, opts);
  if (opts.publish && !signal.aborted) {
    const { publishedDirFor } = await import('../../bench/index.js');
    for (const f of await publishResults(outDir, publishedDirFor(result.meta))) log.info(`published ${f}`);
  }
  return result.records.every((r) => r.outcome === 'PASS') ? ExitCode.OK : ExitCode.FAIL;
}

/** --handover: the rows of test-vms/bench/handover.json, --boots times each. */
async function runHandover({ signal }: ActionContext, opts: BenchCliOptions): Promise<number> {
  const { defaultOutDir, handoverTable, loadHandoverBench, publishedHandoverDir, runHandoverBench } = await import('../../bench/index.js');
  const loaded = await loadHandoverBench();
  const bench = opts.boots ? { ...loaded, boots: opts.boots } : loaded;
  const outDir = path.resolve(opts.out ?? defaultOutDir());
  log.step(`bench --handover: ${bench.rows.length} rows × ${bench.boots} boots, icount shift ${bench.icount}; results in ${outDir}`);
  const boots = await runHandoverBench(bench, outDir, signal);
  const command = ['iofs', ...process.argv.slice(2)].join(' ');
  const table = `# Real handover: ${bench.description}\n\n\`${command}\`, ${new Date().toISOString().slice(0, 16)} UTC, guest clock -icount shift=${bench.icount}, median of the passing boots.\n\n${handoverTable(bench, boots)}`;
  await fs.writeFile(path.join(outDir, 'table.md'), table);
  process.stdout.write(table);
  if (opts.publish && !signal.aborted) {
    await fs.mkdir(publishedHandoverDir, { recursive: true });
    for (const f of ['table.md', 'raw.json']) await fs.copyFile(path.join(outDir, f), path.join(publishedHandoverDir, f));
    log.info(`published ${publishedHandoverDir}`);
  }
  return boots.every((b) => b.outcome === 'PASS') ? ExitCode.OK : ExitCode.FAIL;
}

function bootLine(r: BootRecord): string {
  const init = r.metrics.initUptimeS !== undefined ? ` /init at ${r.metrics.initUptimeS.toFixed(2)}s` : '';
  const mem = r.metrics.memAvailableKb !== undefined ? `, ${(r.metrics.memAvailableKb / 1024).toFixed(0)} MiB available` : '';
  return `${r.cell} boot ${r.boot}: ${r.outcome}${init}${mem}${r.outcome === 'PASS' ? '' : `: ${r.reason}`}`;
}
