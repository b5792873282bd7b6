import { ExitCode, IofsError } from '../../common/errors.js';

/**
 * Run `fn` with an AbortSignal that SIGINT/SIGTERM trigger, so Ctrl-C kills
 * the compressor or mkfs.erofs and removes temporary output instead of
 * leaving it behind; the command then exits 130.
 *
 * The listeners stay registered (`on`, not `once`) until `fn` settles:
 * execa's exit hook re-raises a signal when it finds itself the only
 * listener, which would kill the process before the cleanup ran.
 */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort(new IofsError('interrupted; temporary output removed', { exitCode: ExitCode.INTERRUPTED }));
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
