import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { judgeCheck, type Check, type Variables } from '../vm/index.js';
import { guestCheck, jsRegexToEre, parseGuestOutputs, GUEST_DIR } from './guest-checks.js';

describe('jsRegexToEre', () => {
  it('translates what POSIX ERE can say and refuses the rest', () => {
    expect(jsRegexToEre('^\\d+ \\d+:\\d+ / / rw\\S* - (?:overlay|erofs) ')).toBe('^[0-9]+ [0-9]+:[0-9]+ / / rw\\S* - (overlay|erofs) ');
    expect(jsRegexToEre('^794c7630 4096 (49|50)%$')).toBe('^794c7630 4096 (49|50)%$');
    expect(jsRegexToEre('^\\S+ / (?!rootfs )')).toBeUndefined();
    expect(jsRegexToEre('a+?b')).toBeUndefined();
    expect(jsRegexToEre('a\\nb')).toBeUndefined();
    expect(jsRegexToEre('[\\d.]+')).toBeUndefined();
  });
});

const vars: Variables = { scalars: { kernelRelease: '7.3.4+' }, hostSha256: {}, initrdFiles: {} };
const file = '/nonexistent/scenario.json';
const check = (name: string, run: string, expect: Partial<Check['expect']>): Check => ({ name, run, expect: { exitCode: 0, ...expect }, timeoutS: 10 });

// Each check: the verdict of the guest script (busybox sh and grep -E, as in the guest) must be judgeCheck's.
const CASES: Check[] = [
  check('exact stdout', 'echo 7.3.4+', { stdout: '${kernelRelease}' }),
  check('exact stdout, wrong', 'echo 7.3.5', { stdout: '${kernelRelease}' }),
  check('multi-line with quotes', "printf \"it's\\nline 2\\n\\n\"", { stdout: "it's\nline 2" }),
  check('contains with glob characters', "echo 'a*b?[c]'", { stdoutContains: ['*b?[c'] }),
  check('regex, multiline anchors', 'printf "x\\n12 34:5 / / rw,relatime - overlay o\\n"', { stdoutMatches: ['^\\d+ \\d+:\\d+ / / rw\\S* - overlay '] }),
  check('not matches, violated', 'echo WARNING: x', { stdoutNotMatches: ['WARNING:', 'BUG:'] }),
  check('exit status and stderr', 'echo oops >&2; exit 3', { exitCode: 3, stderrContains: ['oops'], stderrMatches: ['^o+ps$'] }),
  check('wrong exit status', 'false', {}),
  check('no newline at the end', 'printf abc', { stdout: 'abc' }),
];

describe('guest check scripts, run by busybox sh', () => {
  it('judge each check as judgeCheck does, and print its exact output for the host', async () => {
    const lines: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const g = guestCheck(i + 1, c, vars, file);
      const script = path.join(GUEST_DIR, `${i + 1}.sh`);
      await fs.mkdir(GUEST_DIR, { recursive: true });
      await fs.writeFile(script, g.script);
      const r = await execa('busybox', ['sh', script], { reject: false });
      lines.push(...r.stdout.split('\n'));
    }
    const outputs = parseGuestOutputs(lines);
    for (const [i, c] of CASES.entries()) {
      const got = outputs.get(i + 1);
      expect(got, c.name).toBeDefined();
      const host = judgeCheck(c, got?.result ?? { stdout: '', stderr: '', exitCode: null }, vars, file);
      expect(got?.guestVerdict, `${c.name}: host says ${JSON.stringify(host)}`).toBe(host.ok ? 'pass' : 'fail');
    }
    expect(outputs.get(3)?.result.stdout).toBe("it's\nline 2\n\n");
    expect(outputs.get(7)?.result).toEqual({ stdout: '', stderr: 'oops\n', exitCode: 3 });
    expect(CASES.map((_, i) => outputs.get(i + 1)?.guestVerdict)).toEqual(['pass', 'fail', 'pass', 'pass', 'pass', 'fail', 'pass', 'fail', 'pass']);
  });

  it('skips kernel lines that land inside an output block', () => {
    const b64 = Buffer.from('hello\n').toString('base64');
    const parsed = parseGuestOutputs(['IOFS_CHECK_OUTPUT_BEGIN n=4 rc=0', '[   12.3] random: crng init done', b64, '--', 'IOFS_CHECK_OUTPUT_END n=4', 'IOFS_CHECK_RESULT n=4 result=pass']);
    expect(parsed.get(4)).toEqual({ index: 4, result: { stdout: 'hello\n', stderr: '', exitCode: 0 }, guestVerdict: 'pass' });
  });
});
