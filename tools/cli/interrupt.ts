import { ExitCode, IofsError } from '../common/errors.js';

/**
 * Run `fn` with an AbortSignal that SIGINT/SIGTERM trigger, so Ctrl-C stops
 * the subprocess at work (a compressor, mkfs.erofs, make) and the step
 * cleans up (temporary output removed, locks released) instead of leaving
 * things behind; the command then exits 130 with `message`.
 *
 * The listeners stay registered (`on`, not `once`) until `fn` settles:
 * execa's exit hook re-raises a signal when it finds itself the only
 * listener, which would kill the process before the cleanup ran.
 */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>, message = 'interrupted; temporary output removed'): Promise<T> {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort(new IofsError(message, { exitCode: ExitCode.INTERRUPTED }));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(ac.signal);
  } catch (err) {
    if (ac.signal.aborted && ac.signal.reason instanceof IofsError) throw ac.signal.reason;
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
