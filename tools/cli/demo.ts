import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../common/errors.js';
import { log } from '../common/log.js';
import { loadDemoSpec, renderDemoReport, type DemoBoot } from '../report/demo.js';
import { runScenarios, summaryLine, worstExitCode, type AccelMode } from '../vm/index.js';
import { parseAccel, parseIcount } from './vm/options.js';

interface DemoOptions {
  accel: AccelMode;
  icount?: number | 'auto';
}

/** `iofs demo`: the README's main job. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job: build the patched kernel, boot the guest as cpio and as EROFS, test it over SSH, report')
    .option('--accel <mode>', 'auto (probe KVM, fall back to TCG), kvm or tcg', parseAccel, 'auto' as AccelMode)
    .option('--icount <shift>', 'deterministic clock: -icount shift=N,sleep=off (TCG only)', parseIcount)
    .addHelpText(
      'after',
      `
Runs the scenarios listed in test-vms/demo.json (by default kmode-cpio-gzip and
kmode-erofs-lz4hc): builds 6.12 with the kernel-patches/6.12 series and the
initrd-erofs fragment (incremental after the first time), packs the guest in
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
    .action(async (opts: DemoOptions) => {
      const spec = await loadDemoSpec();
      const controller = new AbortController();
      const onSignal = (sig: NodeJS.Signals): void => {
        if (controller.signal.aborted) return;
        log.warn(`${sig}: stopping what runs (make, a packer or QEMU) and writing results`);
        controller.abort();
      };
      // `on`, not `once`: execa's exit hook re-raises a signal it sees no other listener for, killing us mid-cleanup.
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const { results } = await runScenarios({
          scenarios: spec.scenarios,
          jobs: 1,
          keepGoing: true,
          accel: opts.accel,
          icountShift: opts.icount,
          signal: controller.signal,
          onResult: (r) => log.info(summaryLine(r)),
        });
        const boots: DemoBoot[] = [];
        for (const result of results) {
          const check = result.checks.find((c) => c.name === spec.mountTableCheck);
          const mountTable = check?.stdoutFile ? await fs.readFile(path.join(result.runDir, check.stdoutFile), 'utf8').catch(() => undefined) : undefined;
          boots.push({ result, mountTable });
        }
        process.stdout.write(renderDemoReport(boots));
        if (controller.signal.aborted) process.exit(ExitCode.INTERRUPTED);
        process.exitCode = worstExitCode(results.map((r) => r.outcome));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
