import type { Command } from 'commander';

/** `iofs initrd …`: one file per verb beside this one. */
export function registerInitrd(program: Command): Command {
  const group = program.command('initrd').description('(not implemented yet)');
  return group;
}
