import os from 'node:os';
import type { Command } from 'commander';
import { log } from '../../common/log.js';
import type { AccelMode, Scenario } from '../../vm/index.js';
import { action } from '../action.js';
import { STATUS_FRAGMENTS } from '../facts.js';
import { KCIDB_HELP, accelOption, baseRefOption, basesOption, cacheOption, collectList, jobsOption, kcidbCacheUrlOption, kcidbOption, kcidbOriginOption, treeOption, type KcidbCliOptions } from '../options.js';

interface StatusOpts extends KcidbCliOptions {
  base?: string[];
  arch?: string[];
  tree?: string;
  baseRef?: string;
  cache?: string;
  jobs: number;
  scenario?: string[];
  accel: AccelMode;
  fresh?: boolean;
  json?: boolean;
}

export function registerPatchesStatus(group: Command): void {
  group
    .command('status')
    .description('where the series stands on each base: applies, builds, checkpatch, scenarios; exit 0 only when all green')
    .addOption(basesOption())
    .option('--arch <name...>', 'architectures from kernel-patches/arches.json, commas work too: each base is built and its scenarios booted on each (default: x86_64)', collectList)
    .addOption(treeOption('take the base from your own kernel git checkout (one --base); a worktree of it is used, your checkout is not touched'))
    .addOption(baseRefOption())
    .option('--scenario <name...>', 'scenarios to run on each base, names or globs (default: every test-vms scenario with kernel.patches true)', collectList)
    .addOption(jobsOption('cells to run at once, at most the CPU count (kernel builds still run one at a time)', 1))
    .addOption(accelOption())
    .option('--fresh', 'boot every scenario again, even when an identical kernel+initrd+scenario already passed')
    .option('--json', 'print the report as JSON instead of the table')
    .addOption(cacheOption())
    .addOption(kcidbOption())
    .addOption(kcidbOriginOption())
    .addOption(kcidbCacheUrlOption())
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
              reason (an architecture's, in kernel-patches/arches.json): it shows as n/a,
              neither run nor red.
  bisectable  every prefix of the series (patch 1, 1-2, …) builds on its own.
--arch x86_64,arm64 adds an arch column: applies and checkpatch hold for every arch;
builds, bisectable and scenarios are each arch's own (arm64 cross-built, booted in
qemu-system-aarch64 under TCG, as iofs vm test --arch arm64).
A cell whose prerequisite failed is "skip". Each cell line ends with its log (a file,
or the run directory). stdout: the patchset hash of each base's series (KernelCI KCIDB
patchset_hash: sha256 over the ordered patches' sha256 sums), the matrix, one line per cell.
The report is also written to <cache>/status/status.json.

Exit: 0 every cell green; 1 a cell failed or was skipped; 5 only infrastructure trouble.

Examples:
  iofs patches status
  iofs patches status --base 6.12 --jobs 2
  iofs patches status --base 7.3 --arch x86_64,arm64 --scenario 'kmode-*'
  iofs patches status --base 6.12 --tree ~/src/linux --base-ref v6.12 --scenario erofs-lz4
  iofs patches status --kcidb status-kcidb.json
${KCIDB_HELP}
In the status KCIDB: a checkout per base (valid: the series applied), a build per
build cell, tests iofs.<scenario>, iofs.checkpatch and iofs.bisectable.`,
    )
    .action(
      action(
        async ({ signal }, opts: StatusOpts) => {
          const { loadBases } = await import('../../kernel/index.js');
          const { renderStatus, runStatus } = await import('../../status/index.js');
          const bases = opts.base ?? [...(await loadBases()).keys()];
          const scenarios = await statusScenarios(opts.scenario);
          const report = await runStatus({
            bases,
            ...(opts.arch ? { arches: opts.arch } : {}),
            scenarios,
            jobs: cappedJobs(opts.jobs),
            accel: opts.accel,
            signal,
            ...(opts.tree ? { tree: opts.tree } : {}),
            ...(opts.baseRef ? { baseRef: opts.baseRef } : {}),
            ...(opts.cache ? { cache: opts.cache } : {}),
            ...(opts.fresh ? { fresh: true } : {}),
          });
          process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
          if (opts.kcidb) await (await import('../kcidb.js')).writeStatusKcidb(opts.kcidb, report, opts, opts.cache);
          return report.exitCode;
        },
        { stopping: 'stopping the builds and boots; the matrix so far follows' },
      ),
    );
}

/** Each boot is a single-threaded TCG QEMU and make uses every core: more jobs than cores only thrash. */
function cappedJobs(jobs: number): number {
  const cores = os.availableParallelism();
  if (jobs <= cores) return jobs;
  log.warn(`--jobs ${jobs} is more than the ${cores} cores here: using ${cores}`);
  return cores;
}

/** The scenarios named, else every scenario whose kernel uses the series. */
async function statusScenarios(names: string[] | undefined): Promise<Scenario[]> {
  const { expandScenarioArgs, listScenarios, loadScenario } = await import('../../vm/index.js');
  const { seriesScenarios } = await import('../../status/index.js');
  const load = async (list: string[]): Promise<Scenario[]> => {
    const out: Scenario[] = [];
    for (const n of list) out.push(await loadScenario(n));
    return out;
  };
  if (names) return load(await expandScenarioArgs(names));
  const scenarios = seriesScenarios(await load(await listScenarios()));
  log.info(`scenarios using the series: ${scenarios.map((s) => s.name).join(', ') || '(none)'}`);
  return scenarios;
}
