import type { Command } from 'commander';
import { writeFileAtomic } from '../../common/atomic.js';
import { log } from '../../common/log.js';
import type { AccelMode, RunResult } from '../../vm/index.js';
import { action } from '../action.js';
import { KCIDB_HELP, accelOption, archOption, baseRefOption, icountOption, jobsOption, kcidbCacheUrlOption, kcidbOption, kcidbOriginOption, treeOption, type KcidbCliOptions } from '../options.js';

interface TestOptions extends KcidbCliOptions {
  jobs: number;
  junit?: string;
  accel: AccelMode;
  kernel?: string;
  tree?: string;
  baseRef?: string;
  keepGoing?: boolean;
  icount?: number | 'auto';
  arch?: string;
  sanitize?: boolean;
}

export function registerVmTest(group: Command): void {
  group
    .command('test')
    .description('build, pack, boot and check scenarios (test-vms/scenarios/*.json) unattended')
    .argument('<scenario...>', 'scenario names in test-vms/scenarios/ (patterns such as \'kmode-*\' too) or paths to .json files')
    .addOption(jobsOption('scenarios to run at once', 1))
    .option('--junit <file>', 'write JUnit XML (one testcase for the boot, one per check)')
    .addOption(accelOption())
    .option('-k, --kernel <bzImage>', 'use this kernel instead of building the scenario\'s')
    .addOption(treeOption('build each scenario\'s kernel from your own kernel git checkout as it stands (edits included)'))
    .addOption(baseRefOption())
    .option('--keep-going', 'run every scenario even after one fails')
    .option('--sanitize', "build each scenario's kernel with KASAN, UBSAN, lockdep, KFENCE and debug objects (configs debug + sanitize), panic on any report, boot bound x3")
    .addOption(icountOption())
    .addOption(kcidbOption())
    .addOption(kcidbOriginOption())
    .addOption(kcidbCacheUrlOption())
    .addOption(archOption())
    .addHelpText(
      'after',
      `
Each scenario: build its kernel (incremental), pack its initrd with the
workspace SSH key, boot QEMU, wait for SSH within its bootTimeoutS, run its
checks. One line per scenario on stdout:
  OUTCOME name accel=… first_byte=… run_init=… init_marker=… ssh=… avail=… checks=n/m | reason | run dir
Every run directory (<cache>/runs/<UTC stamp>-<scenario>/) keeps console.log
(host-timestamped), console.raw, qemu-argv.json, checks/*, results.json.

Outcomes and exit codes (several scenarios: the worst):
  PASS 0   FAIL 1 (a check failed)   PANIC 3 (panic/Oops/BUG/WARNING on the console)
  BOOT-TIMEOUT 4 (no SSH in time)    INFRA 5 (build, pack or QEMU failed)   interrupted 130
A scenario with "expectBoot" (e.g. a corrupted image that must panic with the
documented message) PASSes when the boot did what it expects and FAILs with
"expected X, observed Y" otherwise; results.json keeps observedOutcome.
"initrd.edits" corrupts the packed image before boot (both copies are kept);
"disk" adds a read-only virtio drive, /dev/vda.

--arch arm64: the same scenarios on arm64. The kernel is cross-built (guest.config
replaced by guest-arm64.config, see kernel-patches/arches.json), the guest's busybox and
dropbear (and their libraries) come from Debian's arm64 packages unpacked into
<cache>/sysroots/, and QEMU is qemu-system-aarch64 -machine virt -cpu max under TCG,
console ttyAMA0 (without no_timer_check, an x86 parameter); \${hostSha256:/bin/busybox} is read in that sysroot.

Scenario format, check vocabulary and variables: test-vms/README.md (Scenarios).

Examples:
  iofs vm test cpio-gzip
  iofs vm test cpio-gzip cpio-none --jobs 2 --junit results.xml --keep-going
  iofs vm test 'kmode-*' --keep-going          # every kernel-mode scenario
  iofs vm test ./my-scenario.json --kernel ~/linux/arch/x86/boot/bzImage --accel tcg
  iofs vm test kmode-erofs-lz4hc --tree ~/linux     # your checkout, with the series applied by you
  iofs vm test 'kmode-*' --keep-going --kcidb kcidb.json
  iofs vm test kmode-erofs-inplace kmode-cpio-gzip --arch arm64
${KCIDB_HELP}`,
    )
    .action(
      action(
        async ({ signal }, scenarios: string[], opts: TestOptions) => {
          const { runScenarios, summaryLine, worstExitCode } = await import('../../vm/index.js');
          const arch = opts.arch === undefined ? undefined : await (await import('../../common/arch.js')).getArch(opts.arch);
          const { results, notRun } = await runScenarios({
            scenarios,
            jobs: opts.jobs,
            keepGoing: Boolean(opts.keepGoing),
            kernelOverride: opts.kernel,
            tree: opts.tree,
            baseRef: opts.baseRef,
            accel: opts.accel,
            icountShift: opts.icount,
            sanitize: Boolean(opts.sanitize),
            ...(arch ? { arch } : {}),
            signal,
            onResult: (r) => process.stdout.write(`${summaryLine(r)}\n`),
          });
          for (const name of notRun) process.stdout.write(`NOT-RUN ${name} | an earlier scenario failed (use --keep-going)\n`);
          if (opts.junit) await writeJunit(opts.junit, results, notRun);
          if (opts.kcidb) await (await import('../kcidb.js')).writeRunsKcidb(opts.kcidb, results, opts);
          return worstExitCode(results.map((r) => r.outcome));
        },
        { stopping: 'stopping what runs (make, a packer or QEMU) and writing results' },
      ),
    );
}

async function writeJunit(file: string, results: RunResult[], notRun: string[]): Promise<void> {
  const { junitNotRun, junitSuite, renderJunit } = await import('../../vm/index.js');
  await writeFileAtomic(file, renderJunit([...results.map(junitSuite), ...notRun.map(junitNotRun)]));
  log.info(`JUnit XML: ${file}`);
}
