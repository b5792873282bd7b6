import type { Command } from 'commander';

/** `iofs kernel …`: one file per verb beside this one. */
export function registerKernel(program: Command): Command {
  const group = program.command('kernel').description('(not implemented yet)');
  return group;
}
