import { describe, expect, it } from 'vitest';
import { InfraError } from './errors.js';
import { outputTail, run } from './process.js';

describe('run', () => {
  it('says a missing program is not installed and what to do, even with PATH emptied', async () => {
    await expect(run('sh', ['-c', 'true'], { env: { PATH: '' }, extendEnv: false })).rejects.toThrow(/^sh is not installed; run scripts\/setup$/);
    await expect(run('no-such-program-iofs', [])).rejects.toBeInstanceOf(InfraError);
  });

  it('names the command, its exit code and the end of its output on failure', async () => {
    await expect(run('sh', ['-c', 'echo one; echo two >&2; exit 3'])).rejects.toThrow('sh -c echo one; echo two >&2; exit 3 failed (exit 3): one | two');
  });

  it('takes declared exit codes as answers, and input on stdin', async () => {
    const r = await run('sh', ['-c', 'cat; exit 1'], { input: 'hello', okExitCodes: [1] });
    expect(r).toMatchObject({ exitCode: 1, stdout: 'hello' });
  });

  it('keeps only the last lines of long output', () => {
    expect(outputTail('a\nb\n\nc\nd\ne\nf\n', 3)).toBe('d | e | f');
  });
});
