/**
 * The one way the workbench runs a program: argument arrays, never a shell.
 * A program that is not there is "X is not installed; run scripts/setup";
 * a failure names the command and quotes the end of its output; exit codes
 * that are answers rather than failures (git grep's 1, cmp's 1) are
 * declared by the caller, not checked by hand after the fact.
 */
import { execa, type Options } from 'execa';
import { InfraError } from './errors.js';

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Replace the environment instead of adding to it. */
  extendEnv?: boolean;
  /** Bytes or text for the program's stdin (default: none, stdin is /dev/null). */
  input?: string | Uint8Array;
  /** Exit codes that are answers, not failures (0 always is); 'any': the caller judges the exit code itself. */
  okExitCodes?: readonly number[] | 'any';
  /** Where the program's Debian package or set-up step is named in the "not installed" message. */
  installHint?: string;
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as the program wrote them. */
  all: string;
}

/** The last `n` non-empty lines of a program's output, joined for one error line. Pure. */
export function outputTail(text: string, n = 5): string {
  return text.trim().split('\n').filter(Boolean).slice(-n).join(' | ');
}

/** The message for a program that is not installed. Pure. */
export function notInstalledMessage(program: string, hint = 'run scripts/setup'): string {
  return `${program} is not installed; ${hint}`;
}

/**
 * Run `program` with `args`; resolve with its output when the exit code is
 * 0 or declared in okExitCodes, else throw an InfraError naming the command,
 * its exit code and the end of its output.
 */
export async function run(program: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  const options: Options = {
    reject: false,
    all: true,
    stripFinalNewline: false,
    ...(o.cwd ? { cwd: o.cwd } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.extendEnv === false ? { extendEnv: false } : {}),
    ...(o.input !== undefined ? { input: o.input } : { stdin: 'ignore' as const }),
    ...(o.signal ? { cancelSignal: o.signal } : {}),
  };
  const r = await execa(program, [...args], options);
  if ((r as { code?: string }).code === 'ENOENT') throw new InfraError(notInstalledMessage(program, o.installHint));
  const result: RunResult = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), all: String(r.all ?? '') };
  if (r.exitCode === 0 || (r.exitCode !== undefined && (o.okExitCodes === 'any' || o.okExitCodes?.includes(r.exitCode)))) return result;
  const how = r.exitCode === undefined ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.exitCode}`;
  throw new InfraError(`${[program, ...args].join(' ')} failed (${how})${o.cwd ? ` in ${o.cwd}` : ''}: ${outputTail(result.all) || 'no output'}`);
}
