import type { Command } from 'commander';
import type { KernelBase, KernelTree } from '../../kernel/index.js';
import { baseOption, baseRefOption, cacheOption, resolveBase, treeOption } from '../options.js';

export interface TreeOpts {
  base?: string;
  tree?: string;
  baseRef?: string;
  cache?: string;
}

/** The options every patches verb shares. */
export function treeOptions(cmd: Command): Command {
  return cmd.addOption(baseOption()).addOption(treeOption()).addOption(baseRefOption()).addOption(cacheOption());
}

export async function openTree(opts: TreeOpts): Promise<{ base: KernelBase; tree: KernelTree; dir: string }> {
  const { getBase, patchesDir, resolveTree } = await import('../../kernel/index.js');
  const base = await getBase(await resolveBase(opts.base));
  const tree = await resolveTree(base, {
    ...(opts.tree ? { tree: opts.tree } : {}),
    ...(opts.baseRef ? { baseRef: opts.baseRef } : {}),
    ...(opts.cache ? { cache: opts.cache } : {}),
  });
  return { base, tree, dir: patchesDir(base) };
}
