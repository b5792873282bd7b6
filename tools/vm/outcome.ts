/** How a run ended: exactly one outcome per scenario, each with its exit code. */
import { ExitCode } from '../common/errors.js';

export type Outcome = 'PASS' | 'FAIL' | 'PANIC' | 'BOOT-TIMEOUT' | 'INFRA' | 'INTERRUPTED';

export const OUTCOME_EXIT_CODE: Record<Outcome, number> = {
  PASS: ExitCode.OK,
  FAIL: ExitCode.FAIL,
  PANIC: ExitCode.PANIC,
  'BOOT-TIMEOUT': ExitCode.BOOT_TIMEOUT,
  INFRA: ExitCode.INFRA,
  INTERRUPTED: ExitCode.INTERRUPTED,
};

/**
 * The exit code of several runs: the worst outcome, where worse is the higher
 * code (an interruption beats infrastructure, which beats a timeout, a panic,
 * a failed check and a pass). No runs at all is OK.
 */
export function worstExitCode(outcomes: readonly Outcome[]): number {
  return outcomes.reduce((worst, o) => Math.max(worst, OUTCOME_EXIT_CODE[o]), ExitCode.OK as number);
}
