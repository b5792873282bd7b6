import type { Command } from 'commander';
import { action } from '../action.js';
import { basesOption, cacheOption } from '../options.js';

interface SourceOpts {
  base?: string[];
  cache?: string;
}

export function registerKernelSource(group: Command): void {
  group
    .command('source')
    .description('make sure a base\'s Debian source tarball is on this machine (fetching it when its suite is not the machine\'s); prints its path')
    .addOption(basesOption())
    .addOption(cacheOption())
    .addHelpText(
      'after',
      `
A base installed by the machine's apt (linux-source-6.12, -6.1: scripts/setup installs them) is
only checked. A base that names a debianSuite in bases.json (7.3: trixie-backports) is fetched
with apt-get through a private sources list for that one suite, pointing at the Debian mirror
the machine's own apt sources use, into <cache>/sources/<package>/, never installed and without
touching the system's apt configuration. The .deb stays there, so the suite is not needed again.
When the suite has moved to a newer point release, that one is taken with a warning.

Examples:
  iofs kernel source                         # every base
  iofs kernel source --base 7.3
  tar -tf "$(iofs kernel source --base 7.3)" | head`,
    )
    .action(
      action(async (_ctx, opts: SourceOpts) => {
        const { getBase, loadBases, sourceTarball } = await import('../../kernel/index.js');
        const names = opts.base ?? [...(await loadBases()).keys()];
        for (const name of names) {
          const { tarball } = await sourceTarball(await getBase(name), ...(opts.cache ? [opts.cache] : []));
          process.stdout.write(`${tarball}\n`);
        }
      }),
    );
}
