import { CommanderError, type Command } from 'commander';
import type { AccelMode } from '../vm/index.js';
import { action } from './action.js';
import { BISECT_ABORT } from './facts.js';
import { accelOption, baseOption, cacheOption, treeOption } from './options.js';

interface BisectOpts {
  tree?: string;
  base?: string;
  cache?: string;
  accel: AccelMode;
}

export function registerBisectRun(program: Command): void {
  program
    .command('bisect-run')
    .description('for `git bisect run`: build the kernel tree at HEAD as it stands, boot SCENARIO, exit 0 good, 1 bad, 125 skip')
    .argument('<scenario>', 'scenario name in test-vms/scenarios/ or path to a .json file')
    .addOption(treeOption('the kernel git checkout being bisected (default: the current directory, where git bisect runs it)'))
    .addOption(baseOption('base the build is filed under', "(default: the scenario's kernel.base)"))
    .addOption(accelOption())
    .addOption(cacheOption())
    .addHelpText(
      'after',
      `
Exit codes, as git bisect run reads them:
  0    good   the scenario passed
  1    bad    a check failed, the kernel panicked, or no SSH within bootTimeoutS (a hang)
  125  skip   this commit cannot be tested: the build failed, or packing/QEMU/SSH did
  130  abort  interrupted
  255  abort  the command is wrong (unknown scenario, not a kernel tree, bad option):
              git bisect stops rather than marking commits
The tree is built as it stands, in one build directory that every step reuses
(incremental), with the scenario's config fragments; no series is applied. The scenario's
run directory is printed with the verdict.

Examples (a regression between v6.12 and your branch):
  cd ~/src/linux
  git bisect start my-branch v6.12
  git bisect run iofs bisect-run cpio-gzip       # iofs on PATH (npm link), else:
  git bisect run node /path/to/workbench/tools/cli/iofs.mjs bisect-run cpio-gzip
  git bisect reset`,
    )
    // git bisect must never read a usage error as "bad": anything wrong with the command aborts.
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(BISECT_ABORT, err.code, err.message);
    })
    .action(
      action(
        async ({ signal }, scenario: string, opts: BisectOpts) => {
          const { bisectRun, bisectWord } = await import('../bisect/index.js');
          const { summaryLine } = await import('../vm/index.js');
          const r = await bisectRun({
            scenario,
            accel: opts.accel,
            signal,
            ...(opts.tree ? { tree: opts.tree } : {}),
            ...(opts.base ? { base: opts.base } : {}),
            ...(opts.cache ? { cache: opts.cache } : {}),
          });
          process.stdout.write(`${summaryLine(r.result)}\n`);
          process.stdout.write(`bisect-run: ${r.head.slice(0, 12)} is ${bisectWord(r.exitCode)} (${r.result.outcome}, exit ${r.exitCode})\n`);
          return r.exitCode;
        },
        // An error means nothing ran: the scenario, the tree or the base is wrong. Stop the bisection.
        { stopping: 'stopping the build or the boot; git bisect will stop too', errorExit: BISECT_ABORT },
      ),
    );
}
