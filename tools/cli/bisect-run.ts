import type { Command } from 'commander';
import { IofsError } from '../common/errors.js';
import { log } from '../common/log.js';
import { BisectExit, bisectRun, bisectWord } from '../patches/index.js';
import { ACCEL_MODES, summaryLine, type AccelMode } from '../vm/index.js';

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
    .option('--tree <path>', 'the kernel git checkout being bisected (default: the current directory, where git bisect runs it)')
    .option('--base <name>', 'base the build is filed under (default: the scenario\'s kernel.base)')
    .option('--accel <mode>', `QEMU acceleration: ${ACCEL_MODES.join(', ')}`, 'auto')
    .option('--cache <dir>', 'cache root (default: $IOFS_CACHE, else $XDG_CACHE_HOME/iofs, else ~/.cache/iofs)')
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

Example (a regression between v6.12 and your branch):
  cd ~/src/linux
  git bisect start my-branch v6.12
  git bisect run node /path/to/workbench/tools/cli/iofs.mjs bisect-run cpio-gzip
  git bisect reset`,
    )
    // git bisect must never read a usage error as "bad": anything wrong with the command aborts.
    .exitOverride((err) => {
      if (err.exitCode === 0) throw err;
      process.exit(BisectExit.ABORT);
    })
    .action(async (scenario: string, opts: BisectOpts) => {
      if (!(ACCEL_MODES as readonly string[]).includes(opts.accel)) {
        log.error(`--accel must be one of ${ACCEL_MODES.join(', ')}`);
        process.exit(BisectExit.ABORT);
      }
      const controller = new AbortController();
      const onSignal = (): void => controller.abort();
      // `on`, not `once`: execa's exit hook re-raises a signal it sees no other listener for, killing us mid-cleanup.
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const r = await bisectRun({
          scenario,
          accel: opts.accel,
          signal: controller.signal,
          ...(opts.tree ? { tree: opts.tree } : {}),
          ...(opts.base ? { base: opts.base } : {}),
          ...(opts.cache ? { cache: opts.cache } : {}),
        });
        process.stdout.write(`${summaryLine(r.result)}\n`);
        process.stdout.write(`bisect-run: ${r.head.slice(0, 12)} is ${bisectWord(r.exitCode)} (${r.result.outcome}, exit ${r.exitCode})\n`);
        process.exit(r.exitCode);
      } catch (err) {
        // Before anything ran: the scenario, the tree or the base is wrong. Stop the bisection.
        log.error(err instanceof Error ? err.message : String(err));
        if (err instanceof IofsError && err.hint) log.info(`hint: ${err.hint}`);
        process.exit(BisectExit.ABORT);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
