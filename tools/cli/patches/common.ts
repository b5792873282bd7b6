import type { Command } from 'commander';
import { getBase, patchesDir, resolveTree, type KernelBase, type KernelTree } from '../../kernel/index.js';

export interface TreeOpts {
  base: string;
  tree?: string;
  baseRef?: string;
  cache?: string;
}

/** The options every patches verb shares. */
export function treeOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--base <name>', 'base from kernel-patches/bases.json, e.g. 6.12')
    .option('--tree <path>', 'your own kernel git checkout instead of the prepared tree <cache>/trees/<base>')
    .option('--base-ref <ref>', 'with --tree: where the series starts (default: tag base-<name>, else HEAD, which gets that tag)')
    .option('--cache <dir>', 'cache root (default: $IOFS_CACHE, else $XDG_CACHE_HOME/iofs, else ~/.cache/iofs)');
}

export async function openTree(opts: TreeOpts): Promise<{ base: KernelBase; tree: KernelTree; dir: string }> {
  const base = await getBase(opts.base);
  const tree = await resolveTree(base, {
    ...(opts.tree ? { tree: opts.tree } : {}),
    ...(opts.baseRef ? { baseRef: opts.baseRef } : {}),
    ...(opts.cache ? { cache: opts.cache } : {}),
  });
  return { base, tree, dir: patchesDir(base) };
}
