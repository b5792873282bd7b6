import { describe, expect, it } from 'vitest';
import { consoleMessages, hostFilesToHash, initrdFilesToHash, judgeBoot, judgeCheck, substitute, type ObservedBoot, type Variables } from './checks.js';
import { findPanic } from './console.js';
import { parseScenario, type BootExpectation, type Check } from './scenario.js';

const FILE = '/repo/test-vms/scenarios/s.json';
const vars: Variables = {
  scalars: { kernelRelease: '6.12.117', initrdSha256: 'ab'.repeat(32), initrdBytes: '2984712', initrdFormat: 'cpio', initrdCompress: 'gzip,9' },
  hostSha256: { '/bin/busybox': 'cd'.repeat(32), '/repo/test-vms/scenarios/data/x': 'ef'.repeat(32) },
  initrdFiles: { '/payload/lib/a.ko': { size: 12288, sha256: '12'.repeat(32) } },
};

function check(expect: Record<string, unknown>): Check {
  const s = parseScenario({ kernel: { base: '6.12' }, initrd: { manifest: 'm', format: 'cpio' }, checks: [{ name: 'c', run: 'true', expect }] }, FILE);
  return s.checks[0] as Check;
}

const ok = (stdout: string, exitCode: number | null = 0, stderr = '') => ({ stdout, stderr, exitCode });

describe('substitute', () => {
  it('fills variables, escaping them in regexes', () => {
    expect(substitute('v=${kernelRelease}', vars, FILE)).toBe('v=6.12.117');
    expect(substitute('^${kernelRelease}$', vars, FILE, true)).toBe('^6\\.12\\.117$');
    expect(substitute('${hostSha256:/bin/busybox}', vars, FILE)).toBe('cd'.repeat(32));
    expect(substitute('${hostSha256:data/x}', vars, FILE)).toBe('ef'.repeat(32));
  });

  it("fills a guest file's packed size and SHA-256", () => {
    expect(substitute('${initrdFileBytes:/payload/lib/a.ko} ${initrdFileSha256:/payload/lib/a.ko}', vars, FILE)).toBe(`12288 ${'12'.repeat(32)}`);
    expect(() => substitute('${initrdFileSha256:/etc/passwd}', vars, FILE)).toThrow(/\$\{initrdFileSha256:\/etc\/passwd\} has no value in this run/);
  });
});

describe('initrdFilesToHash', () => {
  it('lists the guest files the checks and the boot expectation name, once each', () => {
    const s = parseScenario({
      kernel: { base: '6.12' }, initrd: { manifest: 'm', format: 'cpio', payload: '1M' },
      expectBoot: { consoleContains: '${initrdFileBytes:/init}' },
      checks: [{ name: 'a', run: 'x', expect: { stdout: '${initrdFileBytes:/payload/b} ${initrdFileSha256:/payload/b}', stdoutMatches: '^${initrdFileSha256:/etc/passwd}' } }],
    }, FILE);
    expect(initrdFilesToHash(s)).toEqual(['/etc/passwd', '/init', '/payload/b']);
  });
});

describe('hostFilesToHash', () => {
  it('lists host files to hash, relative to the scenario', () => {
    const s = parseScenario({
      kernel: { base: '6.12' }, initrd: { manifest: 'm', format: 'cpio' },
      checks: [
        { name: 'a', run: 'x', expect: { stdoutContains: ['${hostSha256:/bin/busybox}', '${hostSha256:data/x}'] } },
        { name: 'b', run: 'y', expect: { stdout: '${hostSha256:/bin/busybox}' } },
      ],
    }, FILE);
    expect(hostFilesToHash(s)).toEqual(['/bin/busybox', '/repo/test-vms/scenarios/data/x']);
  });
  it('includes the files a boot expectation names', () => {
    const s = parseScenario({ kernel: { base: '6.12' }, initrd: { manifest: 'm', format: 'cpio' }, expectBoot: { consoleContains: '${hostSha256:data/y}' }, checks: [] }, FILE);
    expect(hostFilesToHash(s)).toEqual(['/repo/test-vms/scenarios/data/y']);
  });
});

const PANIC_CONSOLE = [
  '\x1b[2J[    0.000000] Linux version 6.12.117+',
  '[    1.204000] initrd_erofs: image truncated: 8192 bytes, the superblock says 1138688',
  '[    1.205000] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22',
  '[    1.205100] CPU: 0 UID: 0 PID: 1 Comm: swapper Not tainted 6.12.117+ #1',
  '[    1.205200] Call Trace:',
  '[    1.206000] ---[ end Kernel panic - not syncing: initrd_erofs: superblock check failed: -22 ]---',
];
const OOPS_CONSOLE = [
  '[    1.100000] BUG: kernel NULL pointer dereference, address: 0000000000000008',
  '[    1.100100] Oops: 0000 [#1] NOPTI',
  '[    1.300000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009',
];
const BOOT_CONSOLE = ['[    0.900000] initrd_erofs: mounted 2984712-byte image (compression lz4, backend bdev) as / in 4120 us', '[    0.950000] Run /init as init process', 'IOFS_MARKER stage=init uptime=1.0'];

function observed(outcome: ObservedBoot['outcome'], lines: string[], reason = 'r', wallToPanicS?: number): ObservedBoot {
  const panic = findPanic(lines);
  return { outcome, reason, consoleLines: lines, ...(panic ? { panic } : {}), ...(wallToPanicS !== undefined ? { wallToPanicS } : {}) };
}
const expectPanic: BootExpectation = { outcome: 'PANIC', consoleMatches: ['^Kernel panic - not syncing: initrd_erofs: superblock check failed: -\\d+$'], withinS: 60 };

describe('consoleMessages', () => {
  it('drops printk times and control sequences, so ^ anchors at the message', () => {
    expect(consoleMessages(PANIC_CONSOLE.slice(0, 2))).toBe('Linux version 6.12.117+\ninitrd_erofs: image truncated: 8192 bytes, the superblock says 1138688');
  });
});

describe('judgeBoot', () => {
  it('passes an expected clean panic with the documented line, quoting it', () => {
    const v = judgeBoot(expectPanic, observed('PANIC', PANIC_CONSOLE, 'kernel panic before SSH: …', 12.5), vars, FILE);
    expect(v).toEqual({ outcome: 'PASS', reason: 'panicked as expected after 12.5s: [    1.205000] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22' });
  });

  it('fails a panic with another message, quoting the panic', () => {
    const v = judgeBoot({ ...expectPanic, consoleMatches: ['failed: -5$'] }, observed('PANIC', PANIC_CONSOLE), vars, FILE);
    expect(v.outcome).toBe('FAIL');
    expect(v.reason).toMatch(/^expected PANIC with a console line matching \/failed: -5\$\/m, none does; panic line ".*superblock check failed: -22"$/);
  });

  it('fails a panic that an Oops or BUG caused: a documented failure is clean', () => {
    const v = judgeBoot({ outcome: 'PANIC' }, observed('PANIC', OOPS_CONSOLE), vars, FILE);
    expect(v.outcome).toBe('FAIL');
    expect(v.reason).toMatch(/^expected a clean PANIC, but the kernel showed ".*BUG: kernel NULL pointer dereference.*" before ".*Attempted to kill init/);
  });

  it('fails a panic after the bound', () => {
    expect(judgeBoot(expectPanic, observed('PANIC', PANIC_CONSOLE, 'r', 75), vars, FILE).reason).toMatch(/^expected PANIC within 60s, it came after 75\.0s/);
  });

  it('says expected against observed when the outcome differs', () => {
    expect(judgeBoot(expectPanic, observed('PASS', BOOT_CONSOLE, '0 check(s) passed'), vars, FILE)).toEqual({
      outcome: 'FAIL', reason: 'expected PANIC, observed PASS: the guest came up and its checks passed, with no panic',
    });
    const timeout = judgeBoot(expectPanic, observed('BOOT-TIMEOUT', BOOT_CONSOLE, 'no SSH login within 60s: refused; last console line "x"'), vars, FILE);
    expect(timeout).toEqual({ outcome: 'FAIL', reason: 'expected PANIC, observed BOOT-TIMEOUT: no SSH login within 60s: refused; last console line "x"' });
    const panicked = judgeBoot({ outcome: 'PASS' }, observed('PANIC', PANIC_CONSOLE, 'kernel panic before SSH: Kernel panic - not syncing: x'), vars, FILE);
    expect(panicked).toEqual({ outcome: 'FAIL', reason: 'expected PASS, observed PANIC: kernel panic before SSH: Kernel panic - not syncing: x' });
    expect(judgeBoot({ outcome: 'PASS' }, observed('FAIL', BOOT_CONSOLE, 'check "a" failed: no'), vars, FILE).reason).toBe('expected PASS, observed FAIL: check "a" failed: no');
  });

  it('checks console lines of a normal boot, with variables', () => {
    const want: BootExpectation = { outcome: 'PASS', consoleContains: ['initrd_erofs: mounted ${initrdBytes}-byte image'], consoleNotMatches: ['^Initramfs unpacking failed'] };
    expect(judgeBoot(want, observed('PASS', BOOT_CONSOLE, '3 check(s) passed'), vars, FILE)).toEqual({ outcome: 'PASS', reason: '3 check(s) passed; console as expected' });
    const missing = judgeBoot(want, observed('PASS', BOOT_CONSOLE.slice(1), '3 check(s) passed'), vars, FILE);
    expect(missing.reason).toMatch(/^expected PASS with "initrd_erofs: mounted 2984712-byte image" on the console, it is not there/);
    const cpio = judgeBoot({ outcome: 'PASS', consoleNotMatches: ['initrd_erofs:'] }, observed('PASS', BOOT_CONSOLE), vars, FILE);
    expect(cpio).toEqual({ outcome: 'FAIL', reason: 'the console matches /initrd_erofs:/m (at "initrd_erofs:"), it must not' });
  });

  it('keeps INFRA and INTERRUPTED: they say nothing about the kernel', () => {
    expect(judgeBoot(expectPanic, observed('INFRA', [], 'QEMU failed to start'), vars, FILE)).toEqual({ outcome: 'INFRA', reason: 'QEMU failed to start' });
    expect(judgeBoot(expectPanic, observed('INTERRUPTED', PANIC_CONSOLE, 'interrupted'), vars, FILE).outcome).toBe('INTERRUPTED');
  });

  it('passes an expected boot timeout', () => {
    expect(judgeBoot({ outcome: 'BOOT-TIMEOUT' }, observed('BOOT-TIMEOUT', BOOT_CONSOLE, 'no SSH login within 20s'), vars, FILE)).toEqual({
      outcome: 'PASS', reason: 'no SSH, as expected: no SSH login within 20s',
    });
  });
});

describe('judgeCheck', () => {
  it('passes exact stdout without the trailing newline', () => {
    expect(judgeCheck(check({ stdout: '${kernelRelease}' }), ok('6.12.117\n'), vars, FILE)).toEqual({ ok: true });
  });
  it('says what stdout was and what was expected', () => {
    const v = judgeCheck(check({ stdout: '${kernelRelease}' }), ok('6.1.0\n'), vars, FILE);
    expect(v).toEqual({ ok: false, reason: 'stdout "6.1.0", expected "6.12.117"' });
  });
  it('checks the exit status first, quoting stderr', () => {
    const v = judgeCheck(check({ stdout: 'x' }), ok('', 127, 'sh: nope: not found\n'), vars, FILE);
    expect(v.reason).toBe('expected exit status 0, got exit status 127; stderr "sh: nope: not found"');
    expect(judgeCheck(check({ exitCode: 1 }), ok('', 1), vars, FILE).ok).toBe(true);
    expect(judgeCheck(check({}), { stdout: '', stderr: '', exitCode: null, signal: 'KILL' }, vars, FILE).reason).toMatch(/no exit status \(signal KILL\)/);
  });
  it('matches regexes per line, escaped variables, and negative matches', () => {
    expect(judgeCheck(check({ stdoutMatches: '^rootfs$' }), ok('none\nrootfs\n'), vars, FILE).ok).toBe(true);
    expect(judgeCheck(check({ stdoutMatches: '^${kernelRelease}$' }), ok('6x12x117'), vars, FILE).ok).toBe(false);
    const v = judgeCheck(check({ stdoutNotMatches: 'overlay' }), ok('overlay / overlay rw'), vars, FILE);
    expect(v).toEqual({ ok: false, reason: 'stdout matches /overlay/m (at "overlay"), it must not' });
  });
  it('compares a guest file with its packed size and checksum', () => {
    const c = check({ stdout: '${initrdFileBytes:/payload/lib/a.ko}\n${initrdFileSha256:/payload/lib/a.ko}  /payload/lib/a.ko' });
    expect(judgeCheck(c, ok(`12288\n${'12'.repeat(32)}  /payload/lib/a.ko\n`), vars, FILE)).toEqual({ ok: true });
    expect(judgeCheck(c, ok(`12287\n${'12'.repeat(32)}  /payload/lib/a.ko\n`), vars, FILE).reason).toMatch(/^stdout "12287\\n.*", expected "12288\\n/);
  });

  it('compares a guest checksum with the host copy', () => {
    const c = check({ stdoutContains: '${hostSha256:/bin/busybox}' });
    expect(judgeCheck(c, ok(`${'cd'.repeat(32)}  /bin/busybox\n`), vars, FILE).ok).toBe(true);
    expect(judgeCheck(c, ok(`${'00'.repeat(32)}  /bin/busybox\n`), vars, FILE).reason).toMatch(/does not contain/);
  });
  it('checks stderr when asked', () => {
    expect(judgeCheck(check({ exitCode: 1, stderrContains: 'No such file' }), ok('', 1, 'cat: x: No such file or directory'), vars, FILE).ok).toBe(true);
    expect(judgeCheck(check({ exitCode: 1, stderrMatches: '^denied' }), ok('', 1, 'ok'), vars, FILE).ok).toBe(false);
  });
});
