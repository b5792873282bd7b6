import type { Command } from 'commander';
import { action } from '../action.js';
import { KERNEL_DEFAULT_FRAGMENTS } from '../facts.js';
import { archOption, baseOption, baseRefOption, cacheOption, collectList, jobsOption, resolveBase, treeOption } from '../options.js';

interface BuildOpts {
  base?: string;
  arch?: string;
  config?: string[];
  patches: boolean;
  tree?: string;
  baseRef?: string;
  cache?: string;
  jobs?: number;
}

export function registerKernelBuild(group: Command): void {
  group
    .command('build')
    .description(
      'configure (tinyconfig + fragments, checked) and build a kernel out of tree; prints the path of the boot image (bzImage; Image on arm64) as the last line of stdout',
    )
    .addOption(baseOption())
    .addOption(archOption())
    .option('--config <fragment...>', `config fragments by name (kernel-patches/configs/<name>.config) or path, merged in order; commas work too (default: ${KERNEL_DEFAULT_FRAGMENTS.join(' ')})`, collectList)
    .option('--no-patches', 'build the pristine base (a git worktree at the base tag), without the series')
    .addOption(treeOption('build your own kernel git checkout as it stands instead of the prepared tree'))
    .addOption(baseRefOption())
    .addOption(cacheOption())
    .addOption(jobsOption('make -j (default: the CPU count)'))
    .addHelpText(
      'after',
      `
Source variants:
  patched (default)  the prepared tree <cache>/trees/<base> as it stands: edit it, rebuild.
                     If it is still exactly at the base tag, the series in kernel-patches/<base>/ is
                     applied first (iofs patches apply).
  --no-patches       the pristine base, in its own worktree <cache>/pristine/trees/<base> (same
                     relative layout as the prepared tree, so ccache shares their objects).
  --tree PATH        your own checkout, as it stands.
--arch arm64 cross-builds arch/arm64/boot/Image with aarch64-linux-gnu-gcc (Debian's
gcc-aarch64-linux-gnu) and replaces fragments as kernel-patches/arches.json says (guest ->
guest-arm64: PL011 console, the virt board's PCIe); its build directory is
<cache>/builds/<base>-arm64-<variant>-<config hash>.
The build directory <cache>/builds/<base>-<variant>-<config hash> is reused, so rebuilds are
incremental; it is reconfigured only when the fragments change. Every symbol a fragment sets
is checked after olddefconfig: if Kconfig dropped one, the build stops (exit 2) naming it.
Artifacts and timings: <builddir>/iofs-build.json; full log: <builddir>/build.log.
Ctrl-C stops make and its compilers, releases the build directory's lock and exits 130;
the next build resumes where it stopped.

Examples:
  iofs kernel build                          # the primary base, with the series
  iofs kernel build --base 6.12 --no-patches
  iofs kernel build --base 6.12 --config guest erofs initrd-erofs
  iofs kernel build --base 6.12 --tree ~/src/linux --base-ref v6.12
  iofs kernel build --arch arm64 --config guest,erofs,initrd-erofs,distro
  qemu-system-x86_64 -kernel "$(iofs kernel build --base 6.12 | tail -1)" …`,
    )
    .action(
      action(
        async ({ signal }, opts: BuildOpts) => {
          const { buildKernel } = await import('../../kernel/index.js');
          const result = await buildKernel({
            base: await resolveBase(opts.base),
            fragments: opts.config ?? [],
            ...(opts.arch ? { arch: opts.arch } : {}),
            withPatches: opts.patches,
            ...(opts.tree ? { tree: opts.tree } : {}),
            ...(opts.baseRef ? { baseRef: opts.baseRef } : {}),
            ...(opts.cache ? { cache: opts.cache } : {}),
            ...(opts.jobs ? { jobs: opts.jobs } : {}),
            signal,
          });
          process.stderr.write(`kernel ${result.kernelRelease}; metadata ${result.metadataPath}\n`);
          process.stdout.write(`${result.bzImage}\n`);
        },
        {
          stopping: 'stopping make and its compilers',
          interrupted: 'interrupted; make stopped, its lock released; the next build resumes where this one stopped',
        },
      ),
    );
}
