import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode } from '../../common/errors.js';
import { log } from '../../common/log.js';
import { loadBases } from '../../kernel/index.js';
import { renderStatus, runStatus, seriesScenarios, STATUS_FRAGMENTS } from '../../patches/index.js';
import { ACCEL_MODES, listScenarios, loadScenario, type AccelMode, type Scenario } from '../../vm/index.js';

interface StatusOpts {
  base?: string[];
  tree?: string;
  baseRef?: string;
  cache?: string;
  jobs: number;
  scenario?: string[];
  accel: AccelMode;
  fresh?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',').filter(Boolean)];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a whole number, at least 1');
  return n;
}

function accelMode(value: string): AccelMode {
  if (!(ACCEL_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${ACCEL_MODES.join(', ')}`);
  return value as AccelMode;
}

export function registerPatchesStatus(group: Command): void {
  group
    .command('status')
    .description('where the series stands on each base: applies, builds, checkpatch, scenarios; exit 0 only when all green')
    .option('--base <name...>', 'bases from kernel-patches/bases.json (default: all); commas work too', collect)
    .option('--tree <path>', 'take the base from your own kernel git checkout (one --base); a worktree of it is used, your checkout is not touched')
    .option('--base-ref <ref>', 'with --tree: where the series starts (default: tag base-<name>)')
    .option('--scenario <name...>', 'scenarios to run on each base (default: every test-vms scenario with kernel.patches true)', collect)
    .option('-j, --jobs <n>', 'cells to run at once, at most the CPU count (kernel builds still run one at a time)', positiveInt, 1)
    .option('--accel <mode>', `QEMU acceleration: ${ACCEL_MODES.join(', ')}`, accelMode, 'auto' as AccelMode)
    .option('--fresh', 'boot every scenario again, even when an identical kernel+initrd+scenario already passed')
    .option('--json', 'print the report as JSON instead of the table')
    .option('--cache <dir>', 'cache root (default: $IOFS_CACHE, else $XDG_CACHE_HOME/iofs, else ~/.cache/iofs)')
    .addHelpText(
      'after',
      `
For each base, computed by doing the work (nothing is assumed from earlier runs
unless its inputs are byte-identical):
  applies     kernel-patches/<base>/series onto base-<base> with git am -3, in a worktree
              <cache>/status/trees/<base> of the prepared tree: your tree is never touched.
              Re-applied only when the base or the series changed.
  builds      that worktree with ${STATUS_FRAGMENTS.join('+')} and with each config the
              scenarios use (incremental build directories under <cache>/status/builds/).
  checkpatch  the tree's scripts/checkpatch.pl --strict on every patch.
  scenarios   every scenario whose kernel uses the series (kernel.patches: true), booted
              with this base's build. A PASS is reused when the bzImage, the packed
              initrd, the scenario file and the host files its checks read are identical;
              anything else is run again. A scenario a base cannot run at all is listed
              in kernel-patches/bases.json under that base's "notApplicable" with the
              reason: it shows as n/a, neither run nor red.
A cell whose prerequisite failed is "skip". Each cell line ends with its log (a file,
or the run directory). stdout: the patchset hash of each base's series (KernelCI KCIDB
patchset_hash: sha256 over the ordered patches' sha256 sums), the matrix, one line per cell.
The report is also written to <cache>/status/status.json.

Exit: 0 every cell green; 1 a cell failed or was skipped; 5 only infrastructure trouble.

Examples:
  iofs patches status
  iofs patches status --base 6.12 --jobs 2
  iofs patches status --base 6.12 --tree ~/src/linux --base-ref v6.12 --scenario erofs-lz4`,
    )
    .action(async (opts: StatusOpts) => {
      const bases = opts.base ?? [...(await loadBases()).keys()];
      const cores = os.availableParallelism();
      if (opts.jobs > cores) {
        // Each boot is a single-threaded TCG QEMU and make uses every core: more jobs than cores only thrash.
        log.warn(`--jobs ${opts.jobs} is more than the ${cores} cores here: using ${cores}`);
        opts.jobs = cores;
      }
      let scenarios: Scenario[];
      if (opts.scenario) {
        scenarios = [];
        for (const n of opts.scenario) scenarios.push(await loadScenario(n));
      } else {
        const all: Scenario[] = [];
        for (const n of await listScenarios()) all.push(await loadScenario(n));
        scenarios = seriesScenarios(all);
        log.info(`scenarios using the series: ${scenarios.map((s) => s.name).join(', ') || '(none)'}`);
      }
      const controller = new AbortController();
      const onSignal = (): void => controller.abort();
      // `on`, not `once`: execa's exit hook re-raises a signal it sees no other listener for, killing us mid-cleanup.
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const report = await runStatus({
          bases,
          scenarios,
          jobs: opts.jobs,
          accel: opts.accel,
          signal: controller.signal,
          ...(opts.tree ? { tree: opts.tree } : {}),
          ...(opts.baseRef ? { baseRef: opts.baseRef } : {}),
          ...(opts.cache ? { cache: opts.cache } : {}),
          ...(opts.fresh ? { fresh: true } : {}),
        });
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
        process.exitCode = controller.signal.aborted ? ExitCode.INTERRUPTED : report.exitCode;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
