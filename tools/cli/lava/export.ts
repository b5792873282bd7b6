import { InvalidArgumentError, Option, type Command } from 'commander';
import { action } from '../action.js';
import { LAVA_ARCHES } from '../facts.js';
import { parsePath } from '../options.js';
import type { LavaArch } from '../../lava/index.js';

interface ExportCliOptions {
  arch: LavaArch;
  artifactsUrl: string;
  output: string;
  kernel?: string;
}

function parseUrl(value: string): string {
  if (!/^(https?|file):\/\/\S+$/.test(value)) throw new InvalidArgumentError(`expected an http(s):// or file:// URL, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, '');
}

export function registerLavaExport(group: Command): void {
  group
    .command('export')
    .description('write each scenario as a LAVA job (QEMU device type) with the kernel, initrd and disk it downloads')
    .argument('<scenario...>', 'scenario names in test-vms/scenarios/ (patterns such as \'kmode-*\' too) or paths to .json files')
    .addOption(new Option('--arch <arch>', 'the job context\'s arch').choices(LAVA_ARCHES).default('x86_64'))
    .requiredOption('--artifacts-url <url>', 'where OUT will be served from: the jobs download their kernel and images from there', parseUrl)
    .requiredOption('-o, --output <dir>', 'output directory (the artifacts, one job per scenario, jobs.json)', parsePath)
    .option('-k, --kernel <bzImage>', 'use this kernel instead of building the scenarios\' (as in `iofs vm test`)', parsePath)
    .addHelpText(
      'after',
      `
Each scenario: its kernel built as \`iofs vm test\` builds it (incremental),
its initrd (and disk) packed from the same plan without an SSH key, and
OUT/<scenario>/job.yaml: deploy to tmpfs from the URL, boot with the
scenario's command line plus iofs.console=shell (the guest's /init then keeps
a shell on the serial console, prompt "iofs-lava# "), and an interactive test
with one LAVA test case per check (NN-check-name): the check's own command,
judged in the guest, its output printed on the console so that
\`iofs lava results\` judges it again with the workbench's code. A scenario
that expects a panic has no test: LAVA ends the job at the panic, and
\`iofs lava results\` maps it to PASS when the console shows what the scenario
expects. OUT/<scenario>/device.yaml is a device for a local lava-run
(Debian's lava-dispatcher); a lab uses its own qemu device type.
OUT/jobs.json is what \`iofs lava results\` reads. Serve OUT as is from the URL.

Examples:
  iofs lava export kmode-erofs-inplace kmode-cpio-gzip --artifacts-url http://127.0.0.1:8000 -o /tmp/lava
  (cd /tmp/lava && python3 -m http.server 8000 --bind 127.0.0.1 &)
  lava-run --job-id 1 --output-dir /tmp/lava-run --device /tmp/lava/kmode-erofs-inplace/device.yaml \\
      /tmp/lava/kmode-erofs-inplace/job.yaml > kmode-erofs-inplace.log
  iofs lava results --export /tmp/lava kmode-erofs-inplace.log`,
    )
    .action(
      action(async ({ signal }, scenarios: string[], opts: ExportCliOptions) => {
        const { exportLavaJobs } = await import('../../lava/index.js');
        const { jobs } = await exportLavaJobs({ scenarios, arch: opts.arch, artifactsUrl: opts.artifactsUrl, outDir: opts.output, ...(opts.kernel ? { kernelOverride: opts.kernel } : {}), signal });
        for (const j of jobs) process.stdout.write(`${opts.output}/${j.jobFile}\n`);
        return 0;
      }),
    );
}
