import type { Command } from 'commander';
import { cacheDir } from '../../common/paths.js';
import { action } from '../action.js';
import { baseOption, baseRefOption, cacheOption, resolveBase, treeOption } from '../options.js';
import type { TreeOpts } from './common.js';

interface RangeDiffOpts extends TreeOpts {
  from: string;
  to: string;
  fromBase?: string;
  toBase?: string;
  color?: boolean;
}

export function registerPatchesRangeDiff(group: Command): void {
  group
    .command('range-diff')
    .description('compare two versions of the series, or two bases\' copies of it, with git range-diff')
    .addOption(baseOption('base of both sides (and where revisions are looked up)'))
    .requiredOption('--from <dir|ref>', 'the older side: a directory of patches, a revision (meaning <base>..REF) or a range A..B')
    .requiredOption('--to <dir|ref>', 'the newer side, the same way')
    .option('--from-base <name>', 'base of the --from side when it differs (two bases\' copies of the series)')
    .option('--to-base <name>', 'base of the --to side when it differs')
    .addOption(treeOption('your own kernel git checkout instead of the prepared tree (for --base)'))
    .addOption(baseRefOption())
    .option('--color', 'colour the output')
    .addOption(cacheOption())
    .addHelpText(
      'after',
      `
A directory is a series directory (kernel-patches/<base>, read through its series file) or
git format-patch output (e.g. kernel-patches/<base>/versions/v1; the cover letter is skipped).
Its patches are committed onto the base without a checkout (a temporary index), in seconds.
Sides on two bases: each is rebuilt in a scratch repository <cache>/status/range-diff on a
base commit holding only the files the series touches, taken from its own base tree, so the
patches keep their real context. stdout: what git range-diff prints.

Examples:
  iofs patches range-diff --base 6.12 --from kernel-patches/6.12/versions/v1 --to kernel-patches/6.12
  iofs patches range-diff --base 6.12 --from base-6.12..v1-branch --to HEAD --tree ~/src/linux
  iofs patches range-diff --base 6.12 --from kernel-patches/6.1 --from-base 6.1 --to kernel-patches/6.12`,
    )
    .action(
      action(async (_ctx, opts: RangeDiffOpts) => {
        const { getBase, resolveTree, sideCache } = await import('../../kernel/index.js');
        const { rangeDiff } = await import('../../patches/index.js');
        const cache = opts.cache ?? cacheDir();
        const base = await resolveBase(opts.base);
        const open = async (name: string): ReturnType<typeof resolveTree> => {
          const own = name === base && opts.tree;
          return resolveTree(await getBase(name), { cache, ...(own ? { tree: opts.tree } : {}), ...(own && opts.baseRef ? { baseRef: opts.baseRef } : {}) });
        };
        const r = await rangeDiff({
          from: { tree: await open(opts.fromBase ?? base), spec: opts.from },
          to: { tree: await open(opts.toBase ?? base), spec: opts.to },
          root: await sideCache('status', cache),
          color: Boolean(opts.color),
        });
        process.stderr.write(`git range-diff ${r.fromRange} ${r.toRange} (in ${r.repo})\n`);
        process.stdout.write(r.text.endsWith('\n') || r.text === '' ? r.text : `${r.text}\n`);
      }),
    );
}
