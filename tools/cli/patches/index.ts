import type { Command } from 'commander';
import { registerPatchesApply } from './apply.js';
import { registerPatchesCheck } from './check.js';
import { registerPatchesExport } from './export.js';
import { registerPatchesStatus } from './status.js';
import { registerPatchesFormat } from './format.js';
import { registerPatchesRangeDiff } from './range-diff.js';
import { registerPatchesRobot } from './robot.js';

/** `iofs patches …`: one file per verb beside this one. */
export function registerPatches(program: Command): Command {
  const group = program
    .command('patches')
    .description('the kernel patch series in kernel-patches/<base>/: apply, export, check; status across bases; format for sending; range-diff')
    .addHelpText(
      'after',
      `
Format of kernel-patches/<base>/:
  series                    patch file names in apply order, one per line, # comments allowed
  0000-cover-letter.patch   the hand-written cover letter: not in series, never overwritten
  0001-….patch …            git format-patch output (--zero-commit, base-commit: trailer)

Examples (the developer's loop; without --base a verb uses the primary base of bases.json):
  iofs patches apply --base 6.12          # series onto <cache>/trees/6.12 (git am -3)
  $EDITOR ~/.cache/iofs/trees/6.12/init/… # edit, git commit --amend / rebase -i as usual
  iofs kernel build --base 6.12           # incremental rebuild of the tree as it stands
  iofs patches export --base 6.12         # commits back into kernel-patches/6.12/
  iofs patches check --base 6.12          # checkpatch.pl --strict on each patch
  iofs patches robot                      # every patch x robot.json configs, new warnings

Across bases, and upstream:
  iofs patches status                     # base x {applies, builds, checkpatch, scenarios}
  iofs patches format --base 6.12 --version 2 --rfc    # mails for git send-email
  iofs patches range-diff --base 6.12 --from kernel-patches/6.12/versions/v1 --to kernel-patches/6.12
  iofs bisect-run SCENARIO                # a git bisect run step (see iofs bisect-run --help)
Every verb takes --tree PATH (your own checkout). For vm test, build it first:
  iofs vm test NAME --kernel "$(iofs kernel build --base 6.12 --tree PATH | tail -1)"`,
    );
  registerPatchesApply(group);
  registerPatchesExport(group);
  registerPatchesCheck(group);
  registerPatchesStatus(group);
  registerPatchesFormat(group);
  registerPatchesRangeDiff(group);
  registerPatchesRobot(group);
  return group;
}
