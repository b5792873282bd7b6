/**
 * The `iofs` command tree. Registering it is cheap: each verb declares its
 * options and help here, and loads the library it drives (tools/kernel,
 * tools/vm, …) only inside its action, so `iofs --help` loads none of them.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../common/errors.js';
import { setQuiet, setVerbose } from '../common/log.js';
import { reportError } from './action.js';
import { registerBench } from './bench/index.js';
import { registerBisectRun } from './bisect-run.js';
import { registerCompletion } from './completion.js';
import { registerDemo } from './demo.js';
import { registerInitrd } from './initrd/index.js';
import { registerKernel } from './kernel/index.js';
import { registerLava } from './lava/index.js';
import { registerPatches } from './patches/index.js';
import { registerVm } from './vm/index.js';
import { versionText } from './version.js';

const DESCRIPTION =
  'initoverlayfs kernel workbench: patch, build and boot Linux with an EROFS initrd\n' +
  'mounted by the kernel under a tmpfs overlay, and compare it with cpio initramfs.';

const EPILOGUE = `
Exit codes: 0 ok, 1 check failed, 2 bad input, 3 guest panic, 4 boot timeout,
5 infrastructure (QEMU, build, missing tool), 130 interrupted.
Environment: IOFS_CACHE (kernel trees, builds, ccache, keys, runs; default
$XDG_CACHE_HOME/iofs, else ~/.cache/iofs: shared by every clone on the machine).

Examples:
  iofs demo                                  # the main job (README)
  iofs kernel build                          # the primary base with the series
  iofs vm test 'kmode-*' --keep-going
  iofs patches status
  iofs completion bash > ~/.local/share/bash-completion/completions/iofs`;

export function buildProgram(): Command {
  const program = new Command('iofs')
    .description(DESCRIPTION)
    .option('-V, --version', 'print the version and the primary kernel base')
    // Options before the verb belong to iofs, after it to the verb: `patches format --version N` is the verb's.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EPILOGUE)
    .hook('preAction', (root, verb) => {
      setQuiet(Boolean(root.opts().quiet || verb.opts().quiet));
      setVerbose(Boolean(root.opts().verbose || verb.opts().verbose));
    });
  program.on('option:version', () => {
    throw new CommanderError(ExitCode.OK, 'iofs.version', 'version');
  });
  // Before registering verbs, so they inherit it (a bad option throws, and exits 2).
  program.exitOverride();
  registerDemo(program);
  registerInitrd(program);
  registerKernel(program);
  registerPatches(program);
  registerVm(program);
  registerBisectRun(program);
  registerBench(program);
  registerLava(program);
  registerCompletion(program);
  addLogOptions(program);
  return program;
}

/** -q/-v on iofs itself and on every verb, so they work on either side of the verb. */
function addLogOptions(cmd: Command, root = true): void {
  if (root || cmd.commands.length === 0) cmd.option('-q, --quiet', 'only errors on stderr').option('-v, --verbose', 'debug output on stderr');
  for (const sub of cmd.commands) addLogOptions(sub, false);
}

/** Run iofs on argv; resolves to the exit code (a verb's, or 0/2 for help and usage errors). */
export async function runCli(argv: string[], program = buildProgram()): Promise<number> {
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? ExitCode.OK);
  } catch (err) {
    if (!(err instanceof CommanderError)) return reportError(err); // a bug: verbs report their own errors
    if (err.code === 'iofs.version') {
      process.stdout.write(await versionText());
      return ExitCode.OK;
    }
    // Commander's own: 0 for --help, 1 for any usage error. Other codes come from a verb's override (bisect-run: 255).
    return err.exitCode === 1 ? ExitCode.USAGE : err.exitCode;
  }
}
