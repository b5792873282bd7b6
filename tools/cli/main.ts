/**
 * `iofs`: the workbench CLI. A thin layer over tools/<concern>/: each verb
 * lives in tools/cli/<group>/<verb>.ts and only parses options, calls the
 * library, and prints the result (stdout) or progress (stderr).
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, IofsError } from '../common/errors.js';
import { log, setQuiet, setVerbose } from '../common/log.js';
import { registerInitrd } from './initrd/index.js';
import { registerKernel } from './kernel/index.js';
import { registerPatches } from './patches/index.js';
import { registerVm } from './vm/index.js';
import { registerDemo } from './demo.js';
import { registerBisectRun } from './bisect-run.js';
import { registerBench } from './bench/index.js';

// `iofs … | head`: a reader that stops early is not an error; end quietly as other Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(ExitCode.OK);
  throw err;
});

const program = new Command('iofs')
  .description(
    'initoverlayfs kernel workbench: patch, build and boot Linux with an EROFS initrd\n' +
      'mounted by the kernel under a tmpfs overlay, and compare it with cpio initramfs.',
  )
  .option('-q, --quiet', 'only errors on stderr')
  .option('-v, --verbose', 'debug output on stderr')
  .showHelpAfterError('(run with --help for usage)')
  .hook('preAction', (cmd) => {
    const opts = cmd.opts<{ quiet?: boolean; verbose?: boolean }>();
    setQuiet(Boolean(opts.quiet));
    setVerbose(Boolean(opts.verbose));
  })
  .addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 check failed, 2 bad input, 3 guest panic, 4 boot timeout,
5 infrastructure (QEMU, build, missing tool), 130 interrupted.
Environment: IOFS_CACHE (kernel trees, builds, ccache, keys, runs; default
$XDG_CACHE_HOME/iofs, else ~/.cache/iofs: shared by every clone on the machine).`,
  );

// Before registering groups, so subcommands inherit it (bad option → exit 2).
program.exitOverride();

registerDemo(program);
registerInitrd(program);
registerKernel(program);
registerPatches(program);
registerVm(program);
registerBisectRun(program);
registerBench(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exitCode 0.
    return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  }
  if (err instanceof IofsError) {
    log.error(err.message);
    if (err.hint) log.info(`hint: ${err.hint}`);
    return err.exitCode;
  }
  log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return ExitCode.INFRA;
}
