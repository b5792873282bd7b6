/**
 * The main job (`iofs demo`): what it boots (test-vms/demo.json) and its
 * report: for each boot, the outcome, time to /init, memory and the guest's
 * mount table, then one comparison table. The report is pure: the CLI
 * gathers run results and check outputs, this formats them.
 */
import path from 'node:path';
import * as v from 'valibot';
import { testVmsDir } from '../common/paths.js';
import { dataObject, loadJsonFile, nonEmptyList, nonEmptyString } from '../common/schema.js';
import type { RunResult } from '../vm/index.js';

export const demoFile = path.join(testVmsDir, 'demo.json');

/** The schema of test-vms/demo.json: which scenarios the main job boots. */
export const demoSpecSchema = dataObject({
  scenarios: nonEmptyList(nonEmptyString(), 'a non-empty list of scenario names'),
  /** The check whose stdout is the guest's mount table. */
  mountTableCheck: nonEmptyString('a check name'),
});

export type DemoSpec = v.InferOutput<typeof demoSpecSchema>;

/** Read test-vms/demo.json (or another file); errors name the file and key. */
export async function loadDemoSpec(file = demoFile): Promise<DemoSpec> {
  return loadJsonFile(demoSpecSchema, file);
}

export interface DemoBoot {
  result: RunResult;
  /** stdout of the scenario's mount-table check, when it ran. */
  mountTable?: string;
}

const secs = (n: number | undefined): string => (n === undefined ? '-' : `${n.toFixed(2)} s`);
const mib = (kb: number | undefined): string => (kb === undefined ? '-' : `${(kb / 1024).toFixed(1)} MiB`);
const bytes = (n: number | undefined): string =>
  n === undefined ? '-' : n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;

function initrdLabel(r: RunResult): string {
  if (!r.initrd) return '-';
  return r.initrd.format === 'image' ? 'image' : `${r.initrd.format} ${r.initrd.compress}`;
}

/** One section per boot, then a markdown table comparing them. */
export function renderDemoReport(boots: DemoBoot[]): string {
  const out: string[] = [];
  for (const { result: r, mountTable } of boots) {
    const t = r.timings;
    out.push(`## ${r.scenario}: ${r.outcome}${r.outcome === 'PASS' ? '' : ` (${r.reason})`}`);
    out.push(r.description);
    out.push('');
    out.push(`kernel ${r.kernelRelease ?? '-'} · accel ${r.accel ? `${r.accel.accel} (${r.accel.why})` : '-'} · initrd ${initrdLabel(r)}, ${bytes(r.initrd?.bytes)}`);
    out.push(
      `time to /init (kernel "Run /init"): ${secs(t.kernelRunInitS)} · initramfs unpack: ${secs(t.kernelUnpackS)} · ` +
        `SSH ready: ${secs(t.wallToSshReadyS)} · MemAvailable at /init: ${mib(t.memAvailableKbAtInit)} of ${mib(t.memTotalKb)}`,
    );
    out.push('');
    if (mountTable !== undefined) {
      out.push('mount table (/proc/mounts in the guest):');
      out.push('```');
      out.push(mountTable.trimEnd());
      out.push('```');
    } else {
      out.push('mount table: not available (the guest was not reached, or the scenario has no "mount table" check)');
    }
    out.push(`run directory: ${r.runDir}`);
    out.push('');
  }
  out.push('| boot | outcome | initrd | size | time to /init | unpack | SSH ready | MemAvailable at /init |');
  out.push('|---|---|---|---:|---:|---:|---:|---:|');
  for (const { result: r } of boots) {
    const t = r.timings;
    out.push(
      `| ${r.scenario} | ${r.outcome} | ${initrdLabel(r)} | ${bytes(r.initrd?.bytes)} | ${secs(t.kernelRunInitS)} | ${secs(t.kernelUnpackS)} | ${secs(t.wallToSshReadyS)} | ${mib(t.memAvailableKbAtInit)} |`,
    );
  }
  return `${out.join('\n')}\n`;
}
