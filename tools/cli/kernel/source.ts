import type { Command } from 'commander';
import { getBase, loadBases, sourceTarball } from '../../kernel/index.js';

export function registerKernelSource(group: Command): void {
  group
    .command('source')
    .description('make sure a base\'s Debian source tarball is on this machine (fetching it when its suite is not the machine\'s); prints its path')
    .option('--base <name...>', 'bases from kernel-patches/bases.json (default: every base)')
    .option('--cache <dir>', 'cache root (default: $IOFS_CACHE, else $XDG_CACHE_HOME/iofs, else ~/.cache/iofs)')
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
  iofs kernel source --base 7.3
  tar -tf "$(iofs kernel source --base 7.3)" | head`,
    )
    .action(async (opts: { base?: string[]; cache?: string }) => {
      const names = opts.base ?? [...(await loadBases()).keys()];
      for (const name of names) {
        const { tarball } = await sourceTarball(await getBase(name), ...(opts.cache ? [opts.cache] : []));
        process.stdout.write(`${tarball}\n`);
      }
    });
}
