/**
 * A check's exit status, even when the SSH server drops it. Dropbear
 * occasionally closes an exec channel without the "exit-status" request
 * (seen on a loaded host: `ls` printed its output, then no status). The
 * command therefore runs in a subshell followed by a trailer on stderr that
 * carries $?; the protocol's status wins when present, the trailer fills in
 * when it is missing, and the trailer never reaches the check's stderr.
 * Pure.
 */
import type { ExecResult } from './checks.js';

const TRAILER = '__IOFS_EXIT_STATUS=';

/** The command line actually sent: `run` in a subshell (so `exit N` is its status), then the trailer. */
export function withExitStatusTrailer(run: string): string {
  // The newline before `)` ends a trailing comment in `run`; the one before it ends a here-doc.
  return `(\n${run}\n)\nprintf '\\n${TRAILER}%d\\n' "$?" >&2`;
}

/** Strips the trailer from stderr and uses its status when the protocol gave none. */
export function recoverExitStatus<T extends ExecResult>(r: T): T {
  const m = new RegExp(`\\n?${TRAILER}(\\d+)\\n?$`).exec(r.stderr);
  if (!m) return r;
  const stderr = r.stderr.slice(0, m.index);
  const exitCode = r.exitCode ?? (r.signal === undefined ? Number(m[1]) : null);
  return { ...r, stderr, exitCode };
}
