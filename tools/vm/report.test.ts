import { describe, expect, it } from 'vitest';
import { junitSuite, summaryLine } from './report.js';
import type { RunResult } from './runner.js';

const base: RunResult = {
  scenario: 'cpio-gzip',
  file: '/r/test-vms/scenarios/cpio-gzip.json',
  description: '',
  outcome: 'PASS',
  reason: '2 check(s) passed',
  runDir: '/c/runs/20261125T222519Z-cpio-gzip',
  startedAt: '2026-11-25T22:25:19.144Z',
  commandLine: 'console=ttyS0 panic=-1',
  memoryMiB: 512,
  bootTimeoutS: 60,
  accel: { accel: 'tcg', why: 'requested (--accel tcg)' },
  host: { hostname: 'h', kernel: 'Linux', cpus: 2, node: 'v20' },
  timings: { qemuStartToFirstConsoleByteS: 0.331, kernelRunInitS: 1.432054, markerInitUptimeS: 1.53, wallToSshReadyS: 6.66, memAvailableKbAtInit: 480688, totalS: 8.9 },
  checks: [
    { name: 'kernel release', run: 'uname -r', ok: true, exitCode: 0, timedOut: false, durationS: 0.07, stdoutFile: 'checks/01.stdout', stderrFile: 'checks/01.stderr' },
    { name: 'root fs', run: 'cat /proc/mounts', ok: true, exitCode: 0, timedOut: false, durationS: 0.09, stdoutFile: 'checks/02.stdout', stderrFile: 'checks/02.stderr' },
  ],
};

describe('summaryLine', () => {
  it('says what was observed when an expectation turned it into the verdict', () => {
    const expected: RunResult = { ...base, scenario: 'kmode-corrupt-truncated', outcome: 'PASS', observedOutcome: 'PANIC', reason: 'panicked as expected after 3.8s: x', checks: [] };
    expect(summaryLine(expected)).toMatch(/^PASS kmode-corrupt-truncated .* checks=0\/0 observed=PANIC \| panicked as expected/);
    expect(summaryLine({ ...base, observedOutcome: 'PASS' })).not.toContain('observed=');
    const suite = junitSuite({ ...expected, expectBoot: { outcome: 'PANIC', withinS: 60 } });
    expect(suite.cases[0]?.status).toBe('passed');
    expect(suite.cases[0]?.systemOut).toContain('expected: {"outcome":"PANIC","withinS":60}\nobserved: PANIC: panicked as expected');
  });

  it('puts outcome, timings, reason and run directory on one line', () => {
    expect(summaryLine(base)).toBe(
      'PASS cpio-gzip accel=tcg first_byte=0.33s run_init=1.43s init_marker=1.53s ssh=6.66s avail=480688kB checks=2/2 | 2 check(s) passed | /c/runs/20261125T222519Z-cpio-gzip',
    );
  });
  it('shows dashes for what a failed boot never reached, and keeps one line', () => {
    const line = summaryLine({ ...base, outcome: 'PANIC', reason: 'kernel panic:\n[ 1.2] Kernel panic - not syncing: x', accel: undefined, timings: {}, checks: [] });
    expect(line).toBe('PANIC cpio-gzip accel=- first_byte=- run_init=- init_marker=- ssh=- avail=- checks=0/0 | kernel panic: [ 1.2] Kernel panic - not syncing: x | /c/runs/20261125T222519Z-cpio-gzip');
  });
});

describe('junitSuite', () => {
  it('has a boot case and one per check', () => {
    const s = junitSuite({ ...base, outcome: 'FAIL', checks: [...base.checks.slice(0, 1), { ...base.checks[1]!, ok: false, reason: 'stdout "x" does not match /^rootfs/m' }] });
    expect(s.cases.map((c) => [c.name, c.status])).toEqual([['boot', 'passed'], ['kernel release', 'passed'], ['root fs', 'failure']]);
    expect(s.cases[2]?.message).toBe('stdout "x" does not match /^rootfs/m');
  });
  it('a panic fails the boot case with the console excerpt; INFRA is an error', () => {
    const panic = { kind: 'panic' as const, line: 'Kernel panic - not syncing: VFS', firstLine: 'Kernel panic - not syncing: VFS', index: 3, context: ['a', 'Kernel panic - not syncing: VFS'] };
    const s = junitSuite({ ...base, outcome: 'PANIC', reason: 'kernel panic: VFS', panic, checks: [] });
    expect(s.cases[0]).toMatchObject({ name: 'boot', status: 'failure', message: 'PANIC: kernel panic: VFS' });
    expect(s.cases[0]?.details).toContain('a\nKernel panic');
    expect(junitSuite({ ...base, outcome: 'INFRA', reason: 'QEMU failed', checks: [] }).cases[0]?.status).toBe('error');
    expect(junitSuite({ ...base, outcome: 'BOOT-TIMEOUT', reason: 'no SSH', checks: [] }).cases[0]?.status).toBe('failure');
  });
});
