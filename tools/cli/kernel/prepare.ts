import type { Command } from 'commander';
import { action } from '../action.js';
import { baseOption, baseRefOption, cacheOption, resolveBase, treeOption } from '../options.js';

interface PrepareOpts {
  base?: string;
  cache?: string;
  tree?: string;
  baseRef?: string;
}

export function registerKernelPrepare(group: Command): void {
  group
    .command('prepare')
    .description(
      'make the base\'s kernel source a git tree with the pristine base committed and tagged base-<name>,\n' +
        'so the series applies with `git am -3` and exports with `git format-patch`. Prints the tree path.',
    )
    .addOption(baseOption())
    .addOption(cacheOption())
    .addOption(treeOption('use your own kernel git checkout instead of extracting the Debian tarball'))
    .addOption(baseRefOption())
    .addHelpText(
      'after',
      `
The prepared tree is <cache>/trees/<base>: the Debian tarball extracted and committed by
"iofs <iofs@localhost>" dated 2000-01-01, so every workspace gets the same base commit id.
It is reused when it already has its tag; an interrupted prepare leaves nothing behind.

Examples:
  iofs kernel prepare                        # the primary base
  iofs kernel prepare --base 6.12 --cache /scratch/iofs
  iofs kernel prepare --base 6.12 --tree ~/src/linux --base-ref v6.12`,
    )
    .action(
      action(async (_ctx, opts: PrepareOpts) => {
        const { getBase, prepareTree, externalTree } = await import('../../kernel/index.js');
        const base = await getBase(await resolveBase(opts.base));
        const tree = opts.tree
          ? await externalTree(base, opts.tree, opts.baseRef ? { baseRef: opts.baseRef } : {})
          : await prepareTree(base, opts.cache ? { cache: opts.cache } : {});
        process.stdout.write(`${tree.path}\n`);
      }),
    );
}
