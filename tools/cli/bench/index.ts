import type { Command } from 'commander';
import { registerBenchRun } from './run.js';

/** `iofs bench`: a single verb (the command itself), in run.ts. */
export function registerBench(program: Command): Command {
  return registerBenchRun(program);
}
