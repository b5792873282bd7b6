import type { Command } from 'commander';
import { log } from '../../common/log.js';
import { cacheDir } from '../../common/paths.js';
import { action } from '../action.js';
import { openTree, treeOptions, type TreeOpts } from './common.js';

export function registerPatchesApply(group: Command): void {
  treeOptions(group.command('apply'))
    .description('apply kernel-patches/<base>/series onto the kernel tree with `git am -3`; prints the new HEAD')
    .addHelpText(
      'after',
      `
The tree must be clean, and at the base tag or already carry a prefix of the series (matched
by git patch-id): the rest is applied, a fully applied series is left alone. Other commits on
the base are refused (export them first, or reset the tree to the base tag).
Commits get committer iofs <iofs@localhost> and the author's date, so the same series on the
same base gives the same commit ids everywhere.
On a conflict it stops (exit 1) naming the patch and the files; fix them and
\`git -C <tree> am --continue\`, then run apply again for the rest, or \`git -C <tree> am --abort\`.

Examples:
  iofs patches apply                         # the primary base, onto <cache>/trees/<base>
  iofs patches apply --base 6.12 --tree ~/src/linux --base-ref v6.12`,
    )
    .action(
      action(async (_ctx, opts: TreeOpts) => {
        const { tree, dir } = await openTree(opts);
        const { applySeries } = await import('../../patches/index.js');
        const { lockPathFor, withLock } = await import('../../kernel/index.js');
        const lock = lockPathFor(opts.cache ?? cacheDir(), 'tree', tree.path);
        const r = await withLock(lock, `kernel tree ${tree.path}`, () => applySeries(tree, dir));
        log.info(
          `${tree.path}: ${r.applied.length} patch(es) applied` +
            (r.alreadyApplied.length ? `, ${r.alreadyApplied.length} already there` : '') +
            `; HEAD ${r.head.slice(0, 12)}`,
        );
        process.stdout.write(`${r.head}\n`);
      }),
    );
}
