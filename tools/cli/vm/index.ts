import type { Command } from 'commander';
import { registerVmBoot } from './boot.js';
import { registerVmFuzz } from './fuzz.js';
import { registerVmTest } from './test.js';

/** `iofs vm …`: one file per verb beside this one. */
export function registerVm(program: Command): Command {
  const group = program
    .command('vm')
    .description('boot kernels in QEMU: interactively (boot), as scenarios tested over SSH (test), or with mutated EROFS images (fuzz)')
    .addHelpText(
      'after',
      `
Examples:
  iofs vm boot -k "$(iofs kernel build | tail -1)" -i guest.erofs
  iofs vm test 'kmode-*' --keep-going
  iofs vm fuzz --count 12 --seed 7`,
    );
  registerVmBoot(group);
  registerVmTest(group);
  registerVmFuzz(group);
  return group;
}
