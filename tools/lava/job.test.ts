import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';
import type { Scenario, Variables } from '../vm/index.js';
import { renderJob } from './job.js';
import { renderDevice } from './device.js';

const scenario = (over: Partial<Scenario> = {}): Scenario => ({
  name: 'demo',
  file: path.join(repoRoot, 'test-vms', 'scenarios', 'demo.json'),
  description: 'd',
  kernel: { base: '7.3', fragments: ['guest'], patches: true },
  initrd: { kind: 'pack', manifest: 'm.json', format: 'erofs', compress: 'lz4hc', payloadBytes: 0 },
  append: 'initrd_erofs_upper=48M',
  memoryMiB: 512,
  bootTimeoutS: 180,
  checks: [
    { name: 'kernel release', run: 'uname -r', expect: { exitCode: 0, stdout: '${kernelRelease}' }, timeoutS: 30 },
    { name: 'mounts', run: 'cat /proc/mounts', expect: { exitCode: 0, stdoutNotMatches: ['^\\S+ / (?!rootfs )'] }, timeoutS: 30 },
  ],
  ...over,
});
const vars: Variables = { scalars: { kernelRelease: '7.3.4+', initrdBytes: '4096' }, hostSha256: {}, initrdFiles: {} };
const artifacts = { kernel: 'http://h/k/bzImage', initrd: 'http://h/demo/initrd.erofs.lz4hc' };

type Actions = Array<Record<string, Record<string, unknown>>>;

describe('renderJob', () => {
  it('deploys the artifacts, boots with the scenario\'s command line and the console shell, one test case per check', () => {
    const { job, checks, commandLine } = renderJob({ scenario: scenario(), arch: 'x86_64', artifacts, vars, metadata: { 'iofs.patchset_hash': 'abc' } });
    expect(commandLine).toBe('console=ttyS0 panic=-1 no_timer_check initrd_erofs_upper=48M iofs.console=shell');
    const actions = job.actions as Actions;
    expect(actions.map((a) => Object.keys(a)[0])).toEqual(['deploy', 'boot', 'test']);
    const images = actions[0]?.deploy?.images as Record<string, { image_arg: string; url: string }>;
    expect(images.kernel).toEqual({ image_arg: `-kernel {kernel} -append "${commandLine}"`, url: artifacts.kernel });
    expect(images.initrd?.url).toBe(artifacts.initrd);
    expect(actions[1]?.boot).toMatchObject({ method: 'qemu', media: 'tmpfs', prompts: ['iofs-lava# '], timeout: { minutes: 3 } });
    const script = ((actions[2]?.test?.interactive as Array<{ script: Array<Record<string, unknown>> }>)[0]?.script ?? []);
    const named = script.filter((c) => c.name !== undefined);
    expect(named.map((c) => c.name)).toEqual(['01-kernel-release', '02-mounts']);
    expect(named[0]).toMatchObject({ successes: [{ message: 'IOFS_CHECK_RESULT n=1 result=pass' }], failures: [{ message: 'IOFS_CHECK_RESULT n=1 result=fail' }] });
    // Every console command fits busybox ash's 1024-character line editor.
    for (const c of script) expect(String(c.command).length).toBeLessThan(1024);
    // The lookahead cannot be said in ERE: judged on the host only, and said so.
    expect(checks[1]?.hostOnly).toEqual(['stdoutNotMatches /^\\S+ / (?!rootfs )/']);
    expect(job.metadata).toMatchObject({ 'iofs.scenario': 'demo', 'iofs.expect': 'PASS', 'iofs.patchset_hash': 'abc' });
    expect(job.context).toEqual({ arch: 'x86_64', memory: 512, extra_options: ['-no-reboot'] });
  });

  it('an expected panic has no test action, and a disk is the same read-only virtio drive as in iofs vm test', () => {
    const s = scenario({ expectBoot: { outcome: 'PANIC', consoleMatches: ['^Kernel panic'] } });
    const { job } = renderJob({ scenario: s, arch: 'x86_64', artifacts: { ...artifacts, disk: 'http://h/demo/disk.erofs' }, vars, metadata: {} });
    const actions = job.actions as Actions;
    expect(actions.map((a) => Object.keys(a)[0])).toEqual(['deploy', 'boot']);
    expect((actions[0]?.deploy?.images as Record<string, { image_arg: string }>).disk?.image_arg).toBe('-drive file={disk},if=virtio,format=raw,readonly=on');
  });

  it('refuses a command line LAVA cannot quote', () => {
    expect(() => renderJob({ scenario: scenario({ append: 'x="a b"' }), arch: 'x86_64', artifacts, vars, metadata: {} })).toThrow(/cannot carry/);
  });
});

describe('renderDevice', () => {
  it('gives LAVA the QEMU options iofs vm test uses, without kernel, command line or serial', () => {
    const options = (((renderDevice({ memoryMiB: 256, accel: 'tcg' }).actions as Record<string, Record<string, Record<string, Record<string, { options: string[] }>>>>).boot?.methods?.qemu?.parameters)?.options);
    expect(options).toEqual(['-machine q35,accel=tcg', '-cpu max', '-m 256', '-smp 1', '-nographic', '-no-reboot', '-nic none', '-monitor none']);
  });
});
