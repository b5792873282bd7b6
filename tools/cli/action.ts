/**
 * The one runner every verb goes through: signals, errors and exit codes are
 * handled here, so a verb only does its work and returns its exit code.
 *
 *   .action(action(async ({ signal }, opts: Opts) => { …; return ExitCode.FAIL; }))
 *
 * - The verb gets an AbortSignal that the first SIGINT or SIGTERM aborts; it
 *   passes the signal into its long work (make, a packer, QEMU), which stops
 *   and cleans up. Reading `signal` is the verb's promise to do that: a verb
 *   that never reads it is ended at once by a signal (exit 130), as it would
 *   be without a handler. Later signals are ignored while the cleanup runs.
 * - The listeners are registered with `on`, not `once`, until the verb has
 *   settled: execa's exit hook re-raises a signal when it finds itself the
 *   only listener, which would kill the process before the cleanup ran.
 * - The verb returns its exit code (or nothing: 0). A thrown IofsError is
 *   printed as one message (and its hint) and exits with its code; anything
 *   else is a bug or an infrastructure failure: its stack, exit 5. Once a
 *   signal arrived the exit code is 130 whatever the verb returned.
 */
import { ExitCode, IofsError } from '../common/errors.js';
import { log } from '../common/log.js';

export interface ActionContext {
  /** Aborted by the first SIGINT/SIGTERM (see above: reading it opts in to a graceful stop). */
  readonly signal: AbortSignal;
}

export interface ActionOptions {
  /** Said (as a warning, after "SIGINT: ") when the first signal arrives. */
  stopping?: string;
  /** Said (as an error) when the verb threw after a signal: what was stopped, what is left. */
  interrupted?: string;
  /** Exit code for any error other than an interrupt (bisect-run: 255, so that git bisect stops). */
  errorExit?: number;
}

export interface RunOptions extends ActionOptions {
  /** Ends the process when a signal hits a verb that does not read its signal (tests replace it). */
  exit?: (code: number) => void;
}

type Verb<A extends unknown[]> = (ctx: ActionContext, ...args: A) => Promise<number | void>;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Run one verb: returns its exit code; never throws, never exits unless a signal must end it at once. */
export async function runAction(fn: Verb<[]>, opts: RunOptions = {}): Promise<number> {
  const controller = new AbortController();
  let watched = false;
  let signalled: NodeJS.Signals | undefined;
  const ctx: ActionContext = {
    get signal() {
      watched = true;
      return controller.signal;
    },
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = sig;
    if (!watched) {
      log.error(`${sig}: interrupted`);
      if (opts.exit) opts.exit(ExitCode.INTERRUPTED);
      else process.exit(ExitCode.INTERRUPTED);
      return;
    }
    log.warn(`${sig}: ${opts.stopping ?? 'stopping and cleaning up'}`);
    controller.abort(new IofsError(opts.interrupted ?? 'interrupted', { exitCode: ExitCode.INTERRUPTED }));
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    const code = (await fn(ctx)) ?? ExitCode.OK;
    return signalled ? ExitCode.INTERRUPTED : code;
  } catch (err) {
    if (signalled) return reportInterrupted(err, opts);
    return reportError(err, opts.errorExit);
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}

/**
 * A commander action handler around a verb: commander's arguments (operands,
 * then the options object) follow the context. Sets the process's exit code;
 * after an interrupt it exits at once, so that anything still running under
 * us (a build shared with another iofs process) ends with it.
 */
export function action<A extends unknown[]>(fn: Verb<A>, opts: ActionOptions = {}): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await runAction((ctx) => fn(ctx, ...args), opts);
    if (code === ExitCode.INTERRUPTED) process.exit(code);
    process.exitCode = code;
  };
}

/** One clear message for an error, and the exit code it stands for. */
export function reportError(err: unknown, errorExit?: number): number {
  if (err instanceof IofsError) {
    log.error(err.message);
    if (err.hint) log.info(`hint: ${err.hint}`);
    return errorExit ?? err.exitCode;
  }
  log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return errorExit ?? ExitCode.INFRA;
}

function reportInterrupted(err: unknown, opts: ActionOptions): number {
  // The library's own words first (e.g. which build stopped, where its log is), then the verb's summary.
  if (err instanceof IofsError && err.exitCode === ExitCode.INTERRUPTED && err.message !== opts.interrupted) log.info(err.message);
  else log.debug(`after the interrupt: ${err instanceof Error ? err.message : String(err)}`);
  log.error(opts.interrupted ?? 'interrupted');
  return ExitCode.INTERRUPTED;
}
