/**
 * Errors the CLI turns into one clear message and a stable exit code.
 *
 * Exit codes are part of the interface scripts rely on; keep them in one
 * place. The VM outcome codes live here too so `iofs vm test` and the
 * generic error path can never disagree.
 */
export const ExitCode = {
  OK: 0,
  /** A check failed (vm test FAIL, status matrix not green, …). */
  FAIL: 1,
  /** Bad input: usage, manifest, scenario, unknown option value. */
  USAGE: 2,
  /** The guest kernel panicked / oopsed. */
  PANIC: 3,
  /** The guest never became reachable over SSH within the bound. */
  BOOT_TIMEOUT: 4,
  /** Infrastructure: QEMU would not start, build failed, tool missing. */
  INFRA: 5,
  /** SIGINT / SIGTERM: the step was interrupted and cleaned up. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error caused by what the user gave us (or by their machine) that we can
 * explain: `message` says what failed, `hint` what to do next.
 */
export class IofsError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, opts: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'IofsError';
    this.exitCode = opts.exitCode ?? ExitCode.FAIL;
    this.hint = opts.hint;
  }
}

/** Bad input from a file or the command line. */
export class InputError extends IofsError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: ExitCode.USAGE });
    this.name = 'InputError';
  }
}

/** A tool or service under us failed (QEMU, make, mkfs.erofs, disk full…). */
export class InfraError extends IofsError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: ExitCode.INFRA });
    this.name = 'InfraError';
  }
}
