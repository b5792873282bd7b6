import type { Command } from 'commander';
import { getBase } from '../../kernel/bases.js';
import { prepareTree, externalTree } from '../../kernel/tree.js';

export function registerKernelPrepare(group: Command): void {
  group
    .command('prepare')
    .description(
      'make the base\'s kernel source a git tree with the pristine base committed and tagged base-<name>,\n' +
        'so the series applies with `git am -3` and exports with `git format-patch`. Prints the tree path.',
    )
    .requiredOption('--base <name>', 'base from kernel-patches/bases.json, e.g. 6.12')
    .option('--cache <dir>', 'cache root holding trees/ and builds/ (default: $IOFS_CACHE, else $XDG_CACHE_HOME/iofs, else ~/.cache/iofs)')
    .option('--tree <path>', 'use your own kernel git checkout instead of extracting the Debian tarball')
    .option('--base-ref <ref>', 'with --tree: where the series starts (default: tag base-<name>, else HEAD, which gets that tag)')
    .addHelpText(
      'after',
      `
The prepared tree is <cache>/trees/<base>: the Debian tarball extracted and committed by
"iofs <iofs@localhost>" dated 2000-01-01, so every workspace gets the same base commit id.
It is reused when it already has its tag; an interrupted prepare leaves nothing behind.

Examples:
  iofs kernel prepare --base 6.12
  iofs kernel prepare --base 6.12 --cache /scratch/iofs
  iofs kernel prepare --base 6.12 --tree ~/src/linux --base-ref v6.12`,
    )
    .action(async (opts: { base: string; cache?: string; tree?: string; baseRef?: string }) => {
      const base = await getBase(opts.base);
      const tree = opts.tree
        ? await externalTree(base, opts.tree, opts.baseRef ? { baseRef: opts.baseRef } : {})
        : await prepareTree(base, opts.cache ? { cache: opts.cache } : {});
      process.stdout.write(`${tree.path}\n`);
    });
}
