/**
 * `iofs`: the workbench CLI. A thin layer over tools/<concern>/: each verb
 * lives in tools/cli/<group>/<verb>.ts, parses its options, runs through the
 * one action runner (action.ts: signals, errors, exit codes), and prints the
 * result (stdout) or progress (stderr).
 */
import { ExitCode } from '../common/errors.js';
import { runCli } from './program.js';

// `iofs … | head`: a reader that stops early is not an error; end quietly as other Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(ExitCode.OK);
  throw err;
});

process.exitCode = await runCli(process.argv);
