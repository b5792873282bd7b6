import type { Command } from 'commander';
import { cacheDir } from '../../common/paths.js';
import { getBase, resolveTree, sideCache } from '../../kernel/index.js';
import { rangeDiff } from '../../patches/index.js';
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
    .requiredOption('--base <name>', 'base of both sides (and where revisions are looked up), e.g. 6.12')
    .requiredOption('--from <dir|ref>', 'the older side: a directory of patches, a revision (meaning <base>..REF) or a range A..B')
    .requiredOption('--to <dir|ref>', 'the newer side, the same way')
    .option('--from-base <name>', 'base of the --from side when it differs (two bases\' copies of the series)')
    .option('--to-base <name>', 'base of the --to side when it differs')
    .option('--tree <path>', 'your own kernel git checkout instead of the prepared tree (for --base)')
    .option('--base-ref <ref>', 'with --tree: where the series starts (default: tag base-<name>)')
    .option('--color', 'colour the output')
    .option('--cache <dir>', 'cache root (default: $IOFS_CACHE, else $XDG_CACHE_HOME/iofs, else ~/.cache/iofs)')
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
    .action(async (opts: RangeDiffOpts) => {
      const cache = opts.cache ?? cacheDir();
      const open = async (name: string): Promise<Awaited<ReturnType<typeof resolveTree>>> => {
        const base = await getBase(name);
        const own = name === opts.base && opts.tree;
        return resolveTree(base, { cache, ...(own ? { tree: opts.tree } : {}), ...(own && opts.baseRef ? { baseRef: opts.baseRef } : {}) });
      };
      const fromTree = await open(opts.fromBase ?? opts.base);
      const toTree = await open(opts.toBase ?? opts.base);
      const r = await rangeDiff({
        from: { tree: fromTree, spec: opts.from },
        to: { tree: toTree, spec: opts.to },
        root: await sideCache('status', cache),
        color: Boolean(opts.color),
      });
      process.stderr.write(`git range-diff ${r.fromRange} ${r.toRange} (in ${r.repo})\n`);
      process.stdout.write(r.text.endsWith('\n') || r.text === '' ? r.text : `${r.text}\n`);
    });
}
