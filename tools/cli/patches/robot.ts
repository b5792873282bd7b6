import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../common/atomic.js';
import { ExitCode, InputError } from '../../common/errors.js';
import { cacheDir } from '../../common/paths.js';
import { action } from '../action.js';
import { collectList, jobsOption, kcidbCacheUrlOption, kcidbOption, kcidbOriginOption, type KcidbCliOptions } from '../options.js';
import { openTree, treeOptions, type TreeOpts } from './common.js';

interface RobotOpts extends TreeOpts, KcidbCliOptions {
  rev?: string;
  config?: string[];
  jobs?: number;
  record?: string;
  json?: boolean;
  tipOnly?: boolean;
  kunit: boolean;
}

export function registerPatchesRobot(group: Command): void {
  treeOptions(group.command('robot'))
    .description("check every patch of the series as upstream's build robots would: configurations, new warnings, checkpatch; exit 1 on any failure a patch brings")
    .option('--rev <commit>', "the series as it stands at a commit of this repository (e.g. the v2 series: --rev 5d46235), not the working tree's")
    .option('--config <name...>', 'configurations from kernel-patches/robot/robot.json, commas work too (default: all)', collectList)
    .addOption(jobsOption('make -j (default: the CPU count)'))
    .option('--tip-only', 'only the base and the whole series, not every patch (what the core test tier runs)')
    .option('--no-kunit', "skip the series' KUnit tests (a kunit.py kernel build and a QEMU boot)")
    .option('--record <file>', 'also write the record (JSON) to FILE, e.g. kernel-patches/robot/records/<name>.json to commit it')
    .option('--json', 'print the record as JSON instead of the table')
    .addOption(kcidbOption())
    .addOption(kcidbOriginOption())
    .addOption(kcidbCacheUrlOption())
    .addHelpText(
      'after',
      `
The series is applied in a worktree <cache>/robot/trees/<base> of the prepared tree (or of
--tree); your tree is not touched. Each configuration of kernel-patches/robot/robot.json is made
once with the whole series applied (tinyconfig, allnoconfig, defconfig, randconfig with its
recorded seed, or debian: the .config of Debian's linux-headers package for the base, fetched
once into <cache>/sources/debian-config/; then fragments and symbols), and every patch's tree takes it through
olddefconfig. Then at the base and at each patch:
  checkpatch        the tree's scripts/checkpatch.pl --strict on the patch
  kernel-doc        scripts/kernel-doc -none -Wall on the series' sources and headers:
                    fails on a warning the parent tree does not have
  build:<config>    make <the directories of the series' sources> (e.g. init/ fs/erofs/),
                    the series' own objects compiled afresh; a symbol the configuration
                    asks for that Kconfig drops fails it; a symbol a later patch adds does not
  warnings:<config> (configurations with "warnings": true) W=1 and sparse (C=1): fails on a
                    warning in the series' files that the parent tree does not have
  docs              the series' .rst files: each built alone by Sphinx with warnings as
                    errors, and listed in a toctree of its directory's index.rst (cross-
                    references to other documents are not resolved: a full make htmldocs
                    does not fit two cores)
  coccinelle        spatch -D report with every semantic patch of scripts/coccinelle that
                    has a report mode (those needing OCaml left out) on the series' C sources
  kunit             the series' KUnit tests (robot.json "kunit") with the tree's
                    tools/testing/kunit/kunit.py under QEMU, at every patch whose Kconfig
                    defines the test symbol (n/a before); one incremental build directory
A configuration in which the base itself does not build shows n/a for every patch.
Only the series' directories are compiled, not vmlinux: two cores cannot link every
configuration at every patch. \`iofs patches status\` links every prefix of the core kernel.

stdout: the patch x check table, then every failure with its first lines and its log.
Logs and the record: <cache>/robot/runs/<time>/. --kcidb FILE: a checkout per tree (the base and
each prefix of the series, with its patchset_hash), a build per configuration of each, tests
iofs.robot.<check>.
Exit: 0 every patch passes every check; 1 a patch fails one; 2 bad input; 5 infrastructure.

Examples:
  iofs patches robot                              # the working tree's series, every config
  iofs patches robot --config modules             # the distributions' modular build only
  iofs patches robot --rev 5d46235 --record kernel-patches/robot/records/v2.json`,
    )
    .action(
      action(async (_ctx, opts: RobotOpts) => {
        const { base, tree, dir } = await openTree(opts);
        const robot = await import('../../robot/index.js');
        const root = path.join(opts.cache ?? cacheDir(), 'robot');
        const series = opts.rev ? await robot.seriesAtRevision(opts.rev, base.patches, root) : { dir, revision: path.relative(process.cwd(), dir) || dir };
        const all = await robot.loadRobotConfigs();
        const wanted = opts.config ?? all.map((c) => c.name);
        const unknown = wanted.filter((n) => !all.some((c) => c.name === n));
        if (unknown.length) throw new InputError(`unknown robot configuration(s): ${unknown.join(', ')} (valid: ${all.map((c) => c.name).join(', ')})`, { hint: `configurations are defined in ${robot.robotFile}` });
        const configs = all.filter((c) => wanted.includes(c.name));
        const kunit = opts.kunit ? await robot.loadRobotKunit() : undefined;
        const run = await robot.runRobot({
          base,
          source: tree,
          seriesDir: series.dir,
          revision: series.revision,
          configs,
          root,
          jobs: opts.jobs ?? os.availableParallelism(),
          ...(kunit ? { kunit } : {}),
          ...(opts.tipOnly ? { tipOnly: true } : {}),
        });
        // How to reproduce it: the verb as given, minus what names this machine's paths.
        const command = ['iofs patches robot', `--base ${base.name}`, ...(opts.rev ? [`--rev ${opts.rev}`] : []), ...(opts.config ? [`--config ${opts.config.join(',')}`] : []), ...(opts.kunit ? [] : ['--no-kunit']), ...(opts.tipOnly ? ['--tip-only'] : [])].join(' ');
        const record = { ...run, command };
        if (opts.record) await writeFileAtomic(path.resolve(opts.record), `${JSON.stringify(record, null, 2)}\n`);
        if (opts.kcidb) {
          const patchFiles = record.patches.slice(1).map((name) => path.join(series.dir, name));
          await (await import('../kcidb.js')).writeRobotKcidb(opts.kcidb, record, patchFiles, opts, opts.cache);
        }
        process.stdout.write(opts.json ? `${JSON.stringify(record, null, 2)}\n` : `${robot.renderTable(record.patches, record.checks, record.cells)}\n`);
        const failed = record.failed.length ? `patch(es) ${record.failed.join(', ')} fail` : 'every patch passes';
        process.stderr.write(`robot: ${failed} (${record.seconds} s; logs in ${record.runDir})\n`);
        return record.failed.length ? ExitCode.FAIL : ExitCode.OK;
      }),
    );
}
