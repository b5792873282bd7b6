import type { Command } from 'commander';
import { registerKernelPrepare } from './prepare.js';
import { registerKernelBuild } from './build.js';
import { registerKernelSource } from './source.js';

/** `iofs kernel …`: one file per verb beside this one. */
export function registerKernel(program: Command): Command {
  const group = program
    .command('kernel')
    .description('kernel source trees and builds: prepare a base as a git tree, build it from config fragments');
  registerKernelSource(group);
  registerKernelPrepare(group);
  registerKernelBuild(group);
  return group;
}
