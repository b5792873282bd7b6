import type { Command } from 'commander';
import { registerKernelPrepare } from './prepare.js';
import { registerKernelBuild } from './build.js';
import { registerKernelSource } from './source.js';

/** `iofs kernel …`: one file per verb beside this one. */
export function registerKernel(program: Command): Command {
  const group = program
    .command('kernel')
    .description('kernel source trees and builds: prepare a base as a git tree, build it from config fragments')
    .addHelpText(
      'after',
      `
Without --base, both use the primary base named in kernel-patches/bases.json.

Examples:
  iofs kernel prepare                        # <cache>/trees/<base>, tagged base-<base>
  iofs kernel build                          # with the series; prints the bzImage path
  iofs kernel build --base 6.1 --no-patches --config guest erofs
  iofs kernel source --base 7.3              # fetch a base's Debian source (no install)`,
    );
  registerKernelSource(group);
  registerKernelPrepare(group);
  registerKernelBuild(group);
  return group;
}
