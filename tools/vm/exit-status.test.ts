import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { recoverExitStatus, withExitStatusTrailer } from './exit-status.js';

/** Run through a real /bin/sh, as the guest's dropbear would, with the protocol status optionally dropped. */
async function run(cmd: string, dropStatus: boolean) {
  const r = await execa('/bin/sh', ['-c', withExitStatusTrailer(cmd)], { reject: false, stripFinalNewline: false });
  return recoverExitStatus({ stdout: r.stdout, stderr: r.stderr, exitCode: dropStatus ? null : (r.exitCode ?? null) });
}

describe('exit status trailer', () => {
  it('recovers the status of the command, including exit N and comments, and hides the trailer', async () => {
    expect(await run('echo hi; echo oops >&2; exit 3 # done', true)).toEqual({ stdout: 'hi\n', stderr: 'oops\n', exitCode: 3 });
    expect(await run('true', true)).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(await run('cat <<EOF\nx\nEOF', true)).toMatchObject({ stdout: 'x\n', stderr: '', exitCode: 0 });
  });

  it('prefers the protocol status when present, and leaves a signal death without a status', () => {
    expect(recoverExitStatus({ stdout: '', stderr: '\n__IOFS_EXIT_STATUS=0\n', exitCode: 1 })).toEqual({ stdout: '', stderr: '', exitCode: 1 });
    expect(recoverExitStatus({ stdout: '', stderr: 'x', exitCode: null, signal: 'KILL' })).toEqual({ stdout: '', stderr: 'x', exitCode: null, signal: 'KILL' });
  });

  it('a command killed before the trailer keeps no status', () => {
    expect(recoverExitStatus({ stdout: '', stderr: 'partial', exitCode: null })).toEqual({ stdout: '', stderr: 'partial', exitCode: null });
  });
});
