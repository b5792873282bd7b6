/** Running the distribution tools: argument arrays, output appended to a log file, failures naming the tool, its last lines and the log. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InfraError } from '../common/errors.js';
import { outputTail, run } from '../common/process.js';

export async function runLogged(argv: string[], logFile: string, opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<void> {
  await fs.appendFile(logFile, `$ ${argv.join(' ')}\n`);
  const [cmd, ...args] = argv as [string, ...string[]];
  // Exit codes are judged here, after the output is in the log; a missing program is run()'s error.
  const r = await run(cmd, args, { ...opts, okExitCodes: 'any' });
  await fs.appendFile(logFile, `${r.all}\n`);
  if (r.exitCode !== 0) {
    throw new InfraError(`${path.basename(cmd)} ${argv.slice(1, 3).join(' ')} … failed (exit ${r.exitCode}): ${outputTail(r.all)}`, { hint: `full log: ${logFile}` });
  }
}
