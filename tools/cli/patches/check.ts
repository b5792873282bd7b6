import type { Command } from 'commander';
import { ExitCode } from '../../common/errors.js';
import type { CheckResult } from '../../patches/index.js';
import { action } from '../action.js';
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

Examples:
  iofs patches check                         # the primary base
  iofs patches check --base 6.1`,
    )
    .action(
      action(async (_ctx, opts: TreeOpts) => {
        const { tree, dir } = await openTree(opts);
        const { checkSeries } = await import('../../patches/index.js');
        const r = await checkSeries(tree.path, dir);
        printChecks(r);
        return r.clean ? ExitCode.OK : ExitCode.FAIL;
      }),
    );
}

function printChecks(r: CheckResult): void {
  const row = (e: number, w: number, c: number, what: string): string =>
    `${String(e).padStart(6)} ${String(w).padStart(8)} ${String(c).padStart(6)} ${what}\n`;
  process.stdout.write('errors warnings checks patch\n');
  for (const p of r.patches) {
    if (p.errors + p.warnings + p.checks > 0) process.stderr.write(`\n=== ${p.name}\n${p.output}\n`);
    process.stdout.write(row(p.errors, p.warnings, p.checks, p.name));
  }
  const sum = (k: 'errors' | 'warnings' | 'checks'): number => r.patches.reduce((a, p) => a + p[k], 0);
  process.stdout.write(row(sum('errors'), sum('warnings'), sum('checks'), `total (${r.patches.length} patches)`));
}
