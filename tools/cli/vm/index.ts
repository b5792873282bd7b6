import type { Command } from 'commander';

/** `iofs vm …`: one file per verb beside this one. */
export function registerVm(program: Command): Command {
  const group = program.command('vm').description('(not implemented yet)');
  return group;
}
