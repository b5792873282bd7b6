import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { log } from '../common/log.js';
import type { DemoBoot } from '../report/demo.js';
import type { AccelMode, RunResult } from '../vm/index.js';
import { action } from './action.js';
import { accelOption, icountOption } from './options.js';

interface DemoOptions {
  accel: AccelMode;
  icount?: number | 'auto';
}

/** `iofs demo`: the README's main job. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job: build the patched kernel, boot the guest as cpio and as EROFS, test it over SSH, report')
    .addOption(accelOption())
    .addOption(icountOption())
    .addHelpText(
      'after',
      `
Runs the scenarios listed in test-vms/demo.json (by default kmode-cpio-gzip and
kmode-erofs-inplace): builds the primary base (kernel-patches/bases.json) with
its series and the initrd-erofs fragment (incremental after the first time), packs the guest in
test-vms/guest as a gzip cpio initramfs and as an lz4hc EROFS image, boots
each in QEMU, runs the scenario's checks over SSH, and prints for each boot:
outcome, time to /init, memory, and the guest's mount table, then a table
comparing them (markdown, on stdout). Logs and progress go to stderr.

Exit code: 0 when every boot passed, else the worst outcome's code
(1 FAIL, 3 PANIC, 4 BOOT-TIMEOUT, 5 INFRA, 130 interrupted).

Examples:
  iofs demo
  iofs demo --accel tcg > demo.md`,
    )
    .action(
      action(
        async ({ signal }, opts: DemoOptions) => {
          const { loadDemoSpec } = await import('../report/demo.js');
          const spec = await loadDemoSpec();
          const { runScenarios, summaryLine, worstExitCode } = await import('../vm/index.js');
          const { renderDemoReport } = await import('../report/demo.js');
          const { results } = await runScenarios({
            scenarios: spec.scenarios,
            jobs: 1,
            keepGoing: true,
            accel: opts.accel,
            icountShift: opts.icount,
            signal,
            onResult: (r) => log.info(summaryLine(r)),
          });
          process.stdout.write(renderDemoReport(await demoBoots(results, spec.mountTableCheck)));
          return worstExitCode(results.map((r) => r.outcome));
        },
        { stopping: 'stopping what runs (make, a packer or QEMU) and writing results' },
      ),
    );
}

/** Each boot with the guest's mount table, as its check recorded it. */
async function demoBoots(results: RunResult[], mountTableCheck: string): Promise<DemoBoot[]> {
  const boots: DemoBoot[] = [];
  for (const result of results) {
    const check = result.checks.find((c) => c.name === mountTableCheck);
    const mountTable = check?.stdoutFile ? await fs.readFile(path.join(result.runDir, check.stdoutFile), 'utf8').catch(() => undefined) : undefined;
    boots.push({ result, mountTable });
  }
  return boots;
}
