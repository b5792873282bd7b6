import type { Command } from 'commander';
import { registerVmBoot } from './boot.js';
import { registerVmFuzz } from './fuzz.js';
import { registerVmTest } from './test.js';

/** `iofs vm …`: one file per verb beside this one. */
export function registerVm(program: Command): Command {
  const group = program
    .command('vm')
    .description('boot kernels in QEMU: interactively (boot) or as scenarios tested over SSH (test)');
  registerVmBoot(group);
  registerVmTest(group);
  registerVmFuzz(group);
  return group;
}
