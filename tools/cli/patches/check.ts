import type { Command } from 'commander';
import { checkSeries } from '../../patches/index.js';
import { ExitCode } from '../../common/errors.js';
import { openTree, treeOptions, type TreeOpts } from './common.js';

export function registerPatchesCheck(group: Command): void {
  treeOptions(group.command('check'))
    .description("run the tree's scripts/checkpatch.pl --strict on every patch in series; exit 1 unless all are clean")
    .addHelpText(
      'after',
      `
stdout: one line per patch "errors warnings checks name", then a total; the checkpatch
report of each unclean patch goes to stderr. checkpatch runs inside the tree (the prepared
one by default), so it sees MAINTAINERS and the git history.

Example:
  iofs patches check --base 6.12`,
    )
    .action(async (opts: TreeOpts) => {
      const { tree, dir } = await openTree(opts);
      const r = await checkSeries(tree.path, dir);
      process.stdout.write('errors warnings checks patch\n');
      for (const p of r.patches) {
        if (p.errors + p.warnings + p.checks > 0) process.stderr.write(`\n=== ${p.name}\n${p.output}\n`);
        process.stdout.write(`${String(p.errors).padStart(6)} ${String(p.warnings).padStart(8)} ${String(p.checks).padStart(6)} ${p.name}\n`);
      }
      const sum = (k: 'errors' | 'warnings' | 'checks'): number => r.patches.reduce((a, p) => a + p[k], 0);
      process.stdout.write(`${String(sum('errors')).padStart(6)} ${String(sum('warnings')).padStart(8)} ${String(sum('checks')).padStart(6)} total (${r.patches.length} patches)\n`);
      if (!r.clean) process.exitCode = ExitCode.FAIL;
    });
}
