import type { Command } from 'commander';
import { log } from '../../common/log.js';
import { cacheDir } from '../../common/paths.js';
import { action } from '../action.js';
import { openTree, treeOptions, type TreeOpts } from './common.js';

export function registerPatchesExport(group: Command): void {
  treeOptions(group.command('export'))
    .description('write base..HEAD of the kernel tree into kernel-patches/<base>/ with `git format-patch`; prints the files')
    .addHelpText(
      'after',
      `
Numbered patches with --zero-commit (unchanged commits re-export byte for byte) and
--base (a base-commit: trailer). series is rewritten, stale numbered patches removed,
0000-cover-letter.patch and any other non-patch file kept. The directory is built aside and
swapped in, so an interrupted export never leaves it half written.

Examples:
  iofs patches export --base 6.12 && git diff --stat kernel-patches/6.12
  iofs patches export --base 6.12 --tree ~/src/linux --base-ref v6.12`,
    )
    .action(
      action(async (_ctx, opts: TreeOpts) => {
        const { tree, dir } = await openTree(opts);
        const { exportSeries } = await import('../../patches/index.js');
        const { lockPathFor, withLock } = await import('../../kernel/index.js');
        const lock = lockPathFor(opts.cache ?? cacheDir(), 'tree', tree.path);
        const r = await withLock(lock, `kernel tree ${tree.path}`, () => exportSeries(tree, dir));
        if (r.removed.length) log.info(`removed stale: ${r.removed.join(', ')}`);
        log.info(`${r.names.length} patch(es) exported to ${r.dir}`);
        for (const n of r.names) process.stdout.write(`${n}\n`);
      }),
    );
}
