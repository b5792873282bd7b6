/**
 * A scenario as a LAVA job definition: QEMU device type, deploy to tmpfs of
 * the built kernel, the packed initrd and any disk from the artifacts URL,
 * boot with the scenario's command line (plus iofs.console=shell, the
 * console shell of test-vms/guest/init), then an interactive test: the
 * scenario's checks, each a LAVA test case. A scenario that expects its boot
 * to panic or time out has no test action: LAVA ends the job at the panic,
 * and `iofs lava results` judges the console as `iofs vm test` does. Pure.
 */
import { kernelCommandLine, type Scenario, type Variables } from '../vm/index.js';
import { guestCheck, resultPattern, type GuestCheck } from './guest-checks.js';
import type { YamlValue } from './yaml.js';

/** The prompt of the guest's console shell (test-vms/guest/init). */
export const GUEST_PROMPT = 'iofs-lava# ';
/** Kernel parameter that makes the guest's /init keep a shell on the console. */
export const CONSOLE_SHELL_PARAM = 'iofs.console=shell';
/** LAVA architectures for QEMU (the job context's `arch`); the workbench builds x86_64 kernels. */
export const LAVA_ARCHES = ['x86_64'] as const;
export type LavaArch = (typeof LAVA_ARCHES)[number];

export interface JobArtifacts {
  /** URLs the dispatcher downloads. */
  kernel: string;
  initrd: string;
  disk?: string;
}

export interface JobInput {
  scenario: Scenario;
  arch: LavaArch;
  artifacts: JobArtifacts;
  /** The variables the checks' expectations use, resolved for the exported images. */
  vars: Variables;
  /** Identity recorded in the job's metadata (KCIDB-style patchset hash of the series, kernel release). */
  metadata: Record<string, string>;
}

export interface RenderedJob {
  job: { [key: string]: YamlValue };
  checks: GuestCheck[];
  commandLine: string;
}

const minutes = (s: number): { minutes: number } => ({ minutes: Math.max(1, Math.ceil(s / 60)) });

/** The kernel command line of the LAVA boot: the scenario's, with the console shell. */
export function lavaCommandLine(s: Pick<Scenario, 'append'>): string {
  return kernelCommandLine(`${s.append} ${CONSOLE_SHELL_PARAM}`.trim());
}

/** QEMU's -append takes the line in double quotes inside LAVA's image_arg (a shell-like split). */
function appendArg(cmdline: string): string {
  if (/["\\$`]/.test(cmdline)) throw new Error(`kernel command line ${JSON.stringify(cmdline)}: LAVA's image_arg cannot carry ", \\, $ or \``);
  return `-append "${cmdline}"`;
}

export function renderJob(input: JobInput): RenderedJob {
  const s = input.scenario;
  const commandLine = lavaCommandLine(s);
  const images: Record<string, YamlValue> = {
    kernel: { image_arg: `-kernel {kernel} ${appendArg(commandLine)}`, url: input.artifacts.kernel },
    initrd: { image_arg: '-initrd {initrd}', url: input.artifacts.initrd },
  };
  // The same drive `iofs vm test` gives QEMU (tools/vm/qemu-args.ts): /dev/vda, read-only.
  if (input.artifacts.disk) images.disk = { image_arg: '-drive file={disk},if=virtio,format=raw,readonly=on', url: input.artifacts.disk };
  const expectsUp = (s.expectBoot?.outcome ?? 'PASS') === 'PASS';
  const checks = expectsUp ? s.checks.map((c, i) => guestCheck(i + 1, c, input.vars, s.file)) : [];
  const checksS = s.checks.reduce((t, c) => t + c.timeoutS, 0) + 60;
  const actions: YamlValue[] = [
    { deploy: { to: 'tmpfs', timeout: { minutes: 5 }, images } },
    {
      boot: {
        method: 'qemu',
        media: 'tmpfs',
        timeout: minutes(s.bootTimeoutS),
        prompts: [GUEST_PROMPT],
      },
    },
  ];
  if (checks.length > 0) {
    actions.push({
      test: {
        timeout: minutes(checksS),
        interactive: [
          {
            name: 'iofs-checks',
            prompts: [GUEST_PROMPT],
            echo: 'discard',
            script: checks.flatMap((c) => [
              ...c.commands.slice(0, -1).map((command) => ({ command })),
              {
                command: c.commands[c.commands.length - 1] ?? '',
                name: c.caseName,
                successes: [{ message: resultPattern(c.index, 'pass') }],
                failures: [{ message: resultPattern(c.index, 'fail') }],
              },
            ]),
          },
        ],
      },
    });
  }
  const job: { [key: string]: YamlValue } = {
    device_type: 'qemu',
    job_name: `iofs ${s.name}`,
    timeouts: { job: minutes(s.bootTimeoutS + checksS + 300), action: { minutes: 5 }, connection: { minutes: 2 } },
    priority: 'medium',
    visibility: 'public',
    metadata: { 'iofs.scenario': s.name, 'iofs.expect': s.expectBoot?.outcome ?? 'PASS', ...input.metadata },
    // Read by a lab's qemu device-type template: the scenario's memory, and
    // -no-reboot so that panic=-1 ends QEMU as in `iofs vm test` (machine and
    // accel are the lab's; tools/lava/device.ts renders the local device).
    context: { arch: input.arch, memory: s.memoryMiB, extra_options: ['-no-reboot'] },
    actions,
  };
  return { job, checks, commandLine };
}
