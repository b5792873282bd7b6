import type { Command } from 'commander';

/** `iofs patches …`: one file per verb beside this one. */
export function registerPatches(program: Command): Command {
  const group = program.command('patches').description('(not implemented yet)');
  return group;
}
