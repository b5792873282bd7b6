import { describe, expect, it } from 'vitest';
import { hostFilesToHash, judgeCheck, substitute, type Variables } from './checks.js';
import { parseScenario, type Check } from './scenario.js';

const FILE = '/repo/test-vms/scenarios/s.json';
const vars: Variables = {
  scalars: { kernelRelease: '6.12.117', initrdSha256: 'ab'.repeat(32), initrdBytes: '2984712', initrdFormat: 'cpio', initrdCompress: 'gzip,9' },
  hostSha256: { '/bin/busybox': 'cd'.repeat(32), '/repo/test-vms/scenarios/data/x': 'ef'.repeat(32) },
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
