/** Running the distribution tools: argument arrays, output appended to a log file, failures naming the tool, its last lines and the log. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { InfraError } from '../common/errors.js';

export async function runLogged(argv: string[], logFile: string, opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<void> {
  await fs.appendFile(logFile, `$ ${argv.join(' ')}\n`);
  const [cmd, ...args] = argv as [string, ...string[]];
  const r = await execa(cmd, args, { reject: false, all: true, stdin: 'ignore', ...opts }).catch((err: unknown) => {
    throw new InfraError(`${cmd} is not installed (${(err as Error).message}); run scripts/setup`);
  });
  await fs.appendFile(logFile, `${String(r.all ?? '')}\n`);
  if (r.exitCode !== 0) {
    const tail = String(r.all ?? '').trim().split('\n').slice(-5).join(' | ');
    throw new InfraError(`${path.basename(cmd)} ${argv.slice(1, 3).join(' ')} … failed (exit ${r.exitCode}): ${tail}`, { hint: `full log: ${logFile}` });
  }
}
