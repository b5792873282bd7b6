import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExitCode, InfraError, InputError, IofsError } from '../common/errors.js';
import { runAction } from './action.js';

const counts = (): number[] => ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s));

let stderr: string;
beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

/** Resolves once the runner has registered its listeners (they go in before the verb starts). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 1));
}

type Verb = () => Promise<number | void>;

describe('runAction: exit codes', () => {
  it.each<[string, Verb, number]>([
    ['returns nothing', async () => undefined, ExitCode.OK],
    ['returns a code', async () => ExitCode.FAIL, ExitCode.FAIL],
    ['IofsError (a check failed)', async () => { throw new IofsError('check x failed'); }, ExitCode.FAIL],
    ['InputError', async () => { throw new InputError('bad manifest'); }, ExitCode.USAGE],
    ['panic', async () => { throw new IofsError('guest panicked', { exitCode: ExitCode.PANIC }); }, ExitCode.PANIC],
    ['boot timeout', async () => { throw new IofsError('no SSH', { exitCode: ExitCode.BOOT_TIMEOUT }); }, ExitCode.BOOT_TIMEOUT],
    ['InfraError', async () => { throw new InfraError('qemu missing'); }, ExitCode.INFRA],
    ['any other error (a bug)', async () => { throw new TypeError('undefined is not a function'); }, ExitCode.INFRA],
  ])('%s', async (_name, fn, code) => {
    expect(await runAction(fn)).toBe(code);
  });

  it('prints an IofsError as one message and its hint; a bug with its stack', async () => {
    await runAction(async () => {
      throw new InputError('unknown base "7.0"', { hint: 'bases are in kernel-patches/bases.json' });
    });
    expect(stderr).toBe('error: unknown base "7.0"\nhint: bases are in kernel-patches/bases.json\n');
    stderr = '';
    await runAction(async () => {
      throw new Error('boom');
    });
    expect(stderr).toMatch(/^error: Error: boom\n\s+at /);
  });

  it('errorExit replaces the code of every error (bisect-run aborts git bisect with 255)', async () => {
    expect(await runAction(async () => { throw new InputError('no such scenario'); }, { errorExit: 255 })).toBe(255);
    expect(await runAction(async () => 1, { errorExit: 255 })).toBe(1);
  });

  it('leaves no signal listener behind', async () => {
    const before = counts();
    await runAction(async () => undefined);
    await runAction(async () => { throw new Error('x'); });
    expect(counts()).toEqual(before);
  });
});

describe('runAction: SIGINT and SIGTERM', () => {
  it('aborts the signal; the verb cleans up; exit 130 with the verb\'s words; no listener left', async () => {
    const before = counts();
    let cleaned = false;
    const run = runAction(
      async ({ signal }) => {
        try {
          await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('make killed'))));
        } finally {
          cleaned = true;
        }
      },
      { stopping: 'stopping make', interrupted: 'interrupted; make stopped, its lock released' },
    );
    await until(() => counts()[0]! > before[0]!);
    process.emit('SIGINT', 'SIGINT');
    expect(await run).toBe(ExitCode.INTERRUPTED);
    expect(cleaned).toBe(true);
    expect(stderr).toContain('warning: SIGINT: stopping make\n');
    expect(stderr).toContain('error: interrupted; make stopped, its lock released\n');
    expect(counts()).toEqual(before);
  });

  it('a verb that writes its partial results and returns still exits 130; a second signal changes nothing', async () => {
    let aborts = 0;
    const run = runAction(async ({ signal }) => {
      signal.addEventListener('abort', () => aborts++);
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      process.emit('SIGTERM', 'SIGTERM');
      return ExitCode.OK;
    });
    await until(() => process.listenerCount('SIGTERM') > 0 && aborts === 0);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await run).toBe(ExitCode.INTERRUPTED);
    expect(aborts).toBe(1);
    expect(stderr.match(/SIGTERM/g)).toHaveLength(1);
  });

  it("keeps the library's own interrupt message (which build stopped, where its log is)", async () => {
    const run = runAction(async ({ signal }) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      throw new IofsError('build 6.12: interrupted; the log is kept (/x/build.log)', { exitCode: ExitCode.INTERRUPTED });
    });
    await until(() => process.listenerCount('SIGINT') > 0);
    process.emit('SIGINT', 'SIGINT');
    expect(await run).toBe(ExitCode.INTERRUPTED);
    expect(stderr).toContain('build 6.12: interrupted; the log is kept (/x/build.log)\nerror: interrupted\n');
  });

  it('registers its listeners with on, not once: they are still there while the verb cleans up', async () => {
    let during = -1;
    const before = process.listenerCount('SIGINT');
    const run = runAction(async ({ signal }) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      during = process.listenerCount('SIGINT');
    });
    await until(() => process.listenerCount('SIGINT') > before);
    process.emit('SIGINT', 'SIGINT');
    await run;
    expect(during).toBe(before + 1);
  });

  it('a verb that never reads its signal is ended at once, exit 130', async () => {
    const exit = vi.fn();
    let release!: () => void;
    const run = runAction(() => new Promise<void>((resolve) => (release = resolve)), { exit });
    await until(() => release !== undefined);
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(ExitCode.INTERRUPTED);
    expect(stderr).toContain('error: SIGINT: interrupted\n');
    release();
    await run;
  });
});
