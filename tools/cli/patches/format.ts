import path from 'node:path';
import type { Command } from 'commander';
import { log } from '../../common/log.js';
import { cacheDir } from '../../common/paths.js';
import { action } from '../action.js';
import { parsePositiveInt } from '../options.js';
import { openTree, treeOptions, type TreeOpts } from './common.js';

interface FormatOpts extends TreeOpts {
  version: number;
  rfc?: boolean;
  output?: string;
  previous?: string;
}

export function registerPatchesFormat(group: Command): void {
  treeOptions(group.command('format'))
    .description('format the series as version N for git send-email: cover letter, --base, recipients, range-diff; prints the files')
    .requiredOption('--version <n>', 'the version of the series being sent (1, 2, …)', parsePositiveInt)
    .option('--rfc', 'subject prefix [RFC PATCH vN] instead of [PATCH vN]')
    .option('-o, --output <dir>', 'where to write the mails (default: kernel-patches/<base>/versions/v<N>, kept as the record of what was sent)')
    .option('--previous <dir|ref>', 'the previous version, for the range-diff in the cover letter (default: kernel-patches/<base>/versions/v<N-1> when it exists)')
    .addHelpText(
      'after',
      `
The series in kernel-patches/<base>/ is applied to a worktree at the base (your tree is not
touched) and formatted with git format-patch:
  --cover-letter -v<N> --subject-prefix "PATCH" | "RFC PATCH"    [RFC PATCH v2 1/3] …
                             (version 1 carries no number, kernel style: [RFC PATCH 1/3])
  --base=<base commit>       a base-commit: trailer, so a reviewer can apply it; from the
                             prepared tree that is the Debian linux-source import, which no
                             upstream tree has (warned): for mails to send, use --tree with
                             an upstream checkout and --base-ref at the release tag
  --to/--cc                  maintainers and reviewers (To) and lists (Cc) from the tree's own
                             scripts/get_maintainer.pl, without the sender
  --range-diff=<previous>    when the previous version is known
The cover letter's subject and prose come from kernel-patches/<base>/0000-cover-letter.patch;
write the changelog there, kernel style ("Changes in v2:" …); a missing one is warned about.
Keeping each version in kernel-patches/<base>/versions/v<N>/ lets the next one range-diff
against exactly what was sent.
Every mail is From: and Signed-off-by: YOU, the sender, as git knows you (user.name and
user.email, or GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL): the committed series may carry a placeholder
author, whose sign-off is replaced by yours. Without a git identity, nothing is formatted (exit 2).

Examples:
  iofs patches format --version 2 --rfc      # the primary base (7.3)
  iofs patches format --base 6.12 --version 1 --rfc -o /tmp/out
  iofs patches format --tree ~/linux --base-ref v7.3.4 --version 2 --rfc   # base-commit: upstream's v7.3.4
  git send-email --dry-run kernel-patches/7.3/versions/v2/*.patch`,
    )
    .action(
      action(async (_ctx, opts: FormatOpts) => {
        const { tree, dir } = await openTree(opts);
        const { sideCache } = await import('../../kernel/index.js');
        const { defaultFormatDir, formatForSending, previousVersionDir } = await import('../../patches/index.js');
        const cache = opts.cache ?? cacheDir();
        const outDir = path.resolve(opts.output ?? defaultFormatDir(dir, opts.version));
        const previous = opts.previous ?? previousVersionDir(dir, opts.version);
        if (opts.version > 1 && !previous) log.warn(`no previous version given or kept (${defaultFormatDir(dir, opts.version - 1)}): no range-diff in the cover letter`);
        const r = await formatForSending({
          source: tree,
          seriesDir: dir,
          version: opts.version,
          rfc: Boolean(opts.rfc),
          outDir,
          root: await sideCache('status', cache),
          cache,
          ...(previous ? { previous } : {}),
        });
        log.info(`To: ${r.to.join(', ') || '(none)'}`);
        log.info(`Cc: ${r.cc.join(', ') || '(none)'}`);
        if (r.rangeDiffAgainst) log.info(`range-diff against ${r.rangeDiffAgainst}`);
        log.info(`${r.files.length} mail(s) in ${r.outDir}; base-commit ${r.baseCommit}. Check, then: git send-email ${path.relative(process.cwd(), r.outDir) || '.'}/*.patch`);
        for (const f of r.files) process.stdout.write(`${path.join(r.outDir, f)}\n`);
      }),
    );
}
