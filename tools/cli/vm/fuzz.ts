import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, InputError } from '../../common/errors.js';
import { log } from '../../common/log.js';
import type { FuzzRegion, FuzzSummary } from '../../fuzz/index.js';
import type { AccelMode } from '../../vm/index.js';
import { action } from '../action.js';
import { FUZZ_APPEND, FUZZ_FRAGMENTS, FUZZ_REGIONS } from '../facts.js';
import { accelOption, baseOption, jobsOption, parsePositiveInt, resolveBase } from '../options.js';

interface FuzzCliOptions {
  count: number;
  seed: number;
  jobs: number;
  image?: string;
  manifest?: string;
  kernel?: string;
  base?: string;
  memory: number;
  bound: number;
  settle: number;
  accel: AccelMode;
  region?: FuzzRegion[];
  case?: number[];
  verify?: boolean;
  publish?: boolean;
  json?: boolean;
}

function parseSeed(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) throw new InvalidArgumentError('must be a whole number 0..4294967295');
  return Number(value);
}

function collectRegion(value: string, previous: FuzzRegion[] | undefined): FuzzRegion[] {
  const out = [...(previous ?? [])];
  for (const r of value.split(',').filter(Boolean)) {
    if (!(FUZZ_REGIONS as readonly string[]).includes(r)) throw new InvalidArgumentError(`unknown region "${r}": valid are ${FUZZ_REGIONS.join(', ')}`);
    out.push(r as FuzzRegion);
  }
  return out;
}

function collectCase(value: string, previous: number[] | undefined): number[] {
  const out = [...(previous ?? [])];
  for (const v of value.split(',').filter(Boolean)) {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a case number`);
    out.push(Number(v));
  }
  return out;
}

export function registerVmFuzz(group: Command): void {
  group
    .command('fuzz')
    .description('boot mutated copies of a valid EROFS initrd with the patched debug kernel and classify each boot')
    .option('-n, --count <n>', 'cases, the unmodified control case included', parsePositiveInt, 300)
    .option('-s, --seed <n>', 'seed of the mutation plan (same seed and count, same cases)', parseSeed, 1)
    .addOption(jobsOption('QEMUs at once', 2))
    .option('--image <file>', 'valid EROFS initrd to mutate (default: pack --manifest)')
    .option('--manifest <file>', 'guest manifest to pack as EROFS lz4hc (default test-vms/guest/manifest.json)')
    .option('-k, --kernel <bzImage>', `use this kernel instead of building --base with the series + ${FUZZ_FRAGMENTS.join(', ')}`)
    .addOption(baseOption('kernel base from kernel-patches/bases.json, built when no --kernel is given'))
    .option('-m, --memory <MiB>', 'guest memory', parsePositiveInt, 256)
    .option('--bound <s>', 'seconds per boot before it counts as a hang (a timeout is retried alone with twice this)', parsePositiveInt, 90)
    .option('--settle <s>', 'seconds to wait after the init marker for dropbear to listen', parsePositiveInt, 10)
    .addOption(accelOption())
    .option('--region <name...>', `only these regions: ${FUZZ_REGIONS.join(', ')}`, collectRegion)
    .option('--case <n...>', 'only these case numbers of the plan (replay one)', collectCase)
    .option('--verify', 'boot every case with initrd_erofs_sha256= of the unmodified image: a mutant whose image differs must be refused, never mounted')
    .option('--publish', 'write the run\'s record to test-vms/fuzz/results/record.json (record-verify.json with --verify); only a whole, uninterrupted plan on a kernel built from the committed series')
    .option('--json', 'print summary.json instead of the table')
    .addHelpText(
      'after',
      `
Case 0 boots the unmodified image: if it does not boot, the run says so and
exits 5. Every other case is an edit list (tools/initrd/edits.ts) aimed at one
region of the image, found by parsing its EROFS layout:
  superblock       bit flips and overwrites (crc32c left stale), and chosen field
                   values with the checksum recomputed so EROFS believes them
  inode            inode cores (format, mode, size, block address, xattrs) and
                   compressed files' lcluster indexes
  directory        dirent nids, name offsets, file types, names
  compressed-data  flips, random bytes, filled runs in compressed clusters
  truncation       cut at many offsets, also with the block count made to agree
  magic-garbage    an EROFS magic followed by garbage
  size             block counts that lie (beyond the image, the guest's RAM),
                   bytes appended after the image
  layers           the image behind an early cpio and before trailing archives,
                   their boundaries, padding and trailers damaged
Each boot (no network; kernel command line adds "${FUZZ_APPEND}") ends as:
  booted         /init printed its IOFS_MARKER stage=init (dropbear noted)
  clean-failure  a panic message and nothing worse: "initrd_erofs: <step> failed:
                 <errno>", the fallback to cpio, or init failing to run
  crash          Oops/BUG/KASAN/UBSAN/WARNING (attributed to our code, erofs,
                 overlayfs or other from the trace), or a silent reset
  hang           nothing within --bound, or a hung-task/soft-lockup report
With --verify (7.3 series: initrd_erofs_sha256=) every case is also judged
by whether its image is still the unmodified one, where the kernel finds it:
a tampered image must be refused (never "initrd_erofs: mounted"); an intact
one (damage only to an early cpio in front) may boot. A tampered image that
mounts fails the run (exit 3).
Output: a table of classes per region on stdout; results in
<cache>/runs/<stamp>-fuzz-s<seed>/ (plan.json, summary.json, cases/NNN-region/
with case.json, console.log, and image.erofs for crashes and hangs).
Exit: 0; 3 a crash in init/initrd_erofs.c (or, with --verify, a tampered
image mounted); 4 a hang; 5 the control did not
boot; 130 interrupted (QEMUs stopped, summary still written).

Examples:
  iofs vm fuzz                              # 300 cases, seed 1, 2 QEMUs at once
  iofs vm fuzz --count 12 --seed 7 --jobs 1
  iofs vm fuzz --seed 1 --count 300 --case 42     # replay case 42 of that plan
  iofs vm fuzz --region superblock,size --count 40 --kernel bzImage
  iofs vm fuzz --verify --count 100              # verification on: every mutant refused`,
    )
    .action(
      action(
        async ({ signal }, opts: FuzzCliOptions) => {
          const { formatSummary, publishFuzzRecord, runFuzz } = await import('../../fuzz/index.js');
          // Said before hours of boots, not after: a record is a whole plan.
          if (opts.publish && (opts.region || opts.case)) throw new InputError('--publish records a whole plan: drop --region and --case (or publish nothing)');
          const summary = await runFuzz({
            seed: opts.seed,
            count: opts.count,
            jobs: opts.jobs,
            image: opts.image,
            manifest: opts.manifest,
            kernel: opts.kernel,
            base: await resolveBase(opts.base),
            memoryMiB: opts.memory,
            boundS: opts.bound,
            settleS: opts.settle,
            accel: opts.accel,
            regions: opts.region,
            only: opts.case,
            verify: opts.verify,
            signal,
            onCase: (r, done, total) =>
              log.info(`[${done}/${total}] case ${r.id} ${r.region}: ${r.verdict.class} (${r.verdict.kind}${r.verdict.owner ? `, ${r.verdict.owner}` : ''}) ${r.wallS}s: ${r.mutation}`),
          });
          process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
          if (opts.publish) log.info(`record written: ${await publishFuzzRecord(summary.runDir)}`);
          return fuzzExitCode(summary);
        },
        { stopping: 'stopping QEMU and writing the summary' },
      ),
    );
}

function fuzzExitCode(summary: FuzzSummary): number {
  if (summary.controlFailed) return ExitCode.INFRA;
  if (summary.notable.some((n) => n.class === 'hang')) return ExitCode.BOOT_TIMEOUT;
  if (summary.oursFailed) return ExitCode.PANIC;
  return ExitCode.OK;
}
