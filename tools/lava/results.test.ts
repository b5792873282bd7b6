import { describe, expect, it } from 'vitest';
import type { Check, Variables } from '../vm/index.js';
import { jobForLog, mapLavaLog, parseLavaLog, type ExportedJob } from './results.js';

const vars: Variables = { scalars: { kernelRelease: '7.3.4+' }, hostSha256: {}, initrdFiles: {} };
const checks: Check[] = [{ name: 'kernel release', run: 'uname -r', expect: { exitCode: 0, stdout: '${kernelRelease}' }, timeoutS: 30 }];
const job = (over: Partial<ExportedJob['scenario']> = {}): ExportedJob => ({
  scenario: { name: 'demo', file: '/x/demo.json', description: 'd', checks, memoryMiB: 512, bootTimeoutS: 60, ...over },
  jobFile: 'demo/job.yaml',
  commandLine: 'console=ttyS0 iofs.console=shell',
  artifacts: { kernel: 'http://h/k/bzImage', initrd: 'http://h/demo/initrd.cpio.gz' },
  vars,
  hostOnly: {},
});

let t = 0;
const at = (): string => `2026-12-02T03:00:${String(t++).padStart(2, '0')}.000000`;
const entry = (lvl: string, msg: unknown): string => JSON.stringify({ dt: at(), lvl, msg });
const target = (line: string): string => entry('target', line);
const result = (definition: string, c: string, res: string, extra: object = {}): string => entry('results', { definition, case: c, result: res, ...extra });
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function log(...lines: string[]): string {
  t = 0;
  return [entry('info', 'downloading http://h/demo/initrd.cpio.gz'), entry('info', 'Boot command: qemu-system-x86_64 …'), ...lines].join('\n');
}
const booted = [target('[    0.9] Run /init as init process'), result('lava', 'login-action', 'pass')];
const checkOutput = (stdout: string, verdict: string): string[] => [
  target('IOFS_CHECK_OUTPUT_BEGIN n=1 rc=0'), target(b64(stdout)), target('--'), target('IOFS_CHECK_OUTPUT_END n=1'), target(`IOFS_CHECK_RESULT n=1 result=${verdict}`),
  result('0_iofs-checks', '01-kernel-release', verdict),
];

describe('mapLavaLog', () => {
  it('PASS: the guest came up and judgeCheck passes the check\'s output', () => {
    const r = mapLavaLog(job(), log(...booted, ...checkOutput('7.3.4+\n', 'pass'), result('lava', 'job', 'pass')), 'demo.log');
    expect([r.outcome, r.reason]).toEqual(['PASS', '1 check(s) passed']);
    expect(r.checks[0]).toMatchObject({ name: 'kernel release', ok: true, exitCode: 0 });
  });

  it('FAIL: the workbench\'s judgement, with the check named (and a disagreeing LAVA verdict said)', () => {
    const r = mapLavaLog(job(), log(...booted, ...checkOutput('6.1\n', 'pass'), result('lava', 'job', 'pass')), 'demo.log');
    expect(r.outcome).toBe('FAIL');
    expect(r.reason).toBe('check "kernel release" failed: stdout "6.1", expected "7.3.4+" (LAVA\'s in-guest verdict was pass)');
  });

  it('FAIL: a check with no output on the console', () => {
    const r = mapLavaLog(job(), log(...booted, result('lava', 'job', 'fail', { error_type: 'Test', error_msg: 'x' })), 'demo.log');
    expect(r.reason).toMatch(/^check "kernel release" failed: no output on the console/);
  });

  it('PANIC from the console lines, whatever LAVA concluded; PASS when the scenario expects it', () => {
    const lines = log(target('[    1.1] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22'), result('lava', 'job', 'fail', { error_type: 'Infrastructure', error_msg: 'Connection closed' }));
    const r = mapLavaLog(job(), lines, 'demo.log');
    expect([r.outcome, r.reason]).toEqual(['PANIC', 'kernel panic: [    1.1] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22']);
    const expected = mapLavaLog(job({ checks: [], expectBoot: { outcome: 'PANIC', consoleMatches: ['^Kernel panic - not syncing: initrd_erofs: superblock check failed: -22$'], withinS: 60 } }), lines, 'demo.log');
    expect([expected.outcome, expected.observedOutcome]).toEqual(['PASS', 'PANIC']);
    expect(expected.timings.wallToPanicS).toBe(1);
    const wrong = mapLavaLog(job({ checks: [], expectBoot: { outcome: 'PANIC', consoleMatches: ['failed: -5$'] } }), lines, 'demo.log');
    expect(wrong.outcome).toBe('FAIL');
  });

  it('INFRA when LAVA could not run the job; BOOT-TIMEOUT when the console shell never came', () => {
    const infra = mapLavaLog(job(), log(result('lava', 'http-download', 'fail'), result('lava', 'job', 'fail', { error_type: 'Infrastructure', error_msg: 'Unable to download' })), 'demo.log');
    expect([infra.outcome, infra.reason]).toEqual(['INFRA', 'LAVA Infrastructure error: Unable to download']);
    const timeout = mapLavaLog(job(), log(target('[    0.5] Run /init as init process'), result('lava', 'login-action', 'fail'), result('lava', 'job', 'fail', { error_type: 'Job', error_msg: 'wait for prompt timed out' })), 'demo.log');
    expect(timeout.outcome).toBe('BOOT-TIMEOUT');
    expect(timeout.reason).toContain('last console line "[    0.5] Run /init as init process"');
    expect(mapLavaLog(job(), log(...booted), 'demo.log').outcome).toBe('INFRA');
  });
});

describe('parseLavaLog and jobForLog', () => {
  it('read lava-run\'s JSON lines and a server\'s YAML list alike, and find the job by its initrd URL', () => {
    const text = log(...booted);
    const yaml = text.split('\n').map((l) => `- ${l}`).join('\n');
    expect(parseLavaLog(yaml)).toEqual(parseLavaLog(text));
    expect(jobForLog([job()], parseLavaLog(yaml))?.scenario.name).toBe('demo');
    expect(jobForLog([{ ...job(), artifacts: { kernel: 'k', initrd: 'other' } }], parseLavaLog(text))).toBeUndefined();
  });
});
