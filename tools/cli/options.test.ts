import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  accelOption, baseOption, basesOption, cacheOption, collectList, icountOption, jobsOption, parseAccel, parseIcount, parsePath, parsePositiveInt, resolveBase, treeOption,
} from './options.js';
import { primaryBaseName } from '../kernel/index.js';
import { runCli } from './program.js';
import { capturedProgram } from './testutil.js';

/** Parse `args` against one option, the way every verb does (exitOverride: an error throws). */
function parse(option: Option, args: string[]): Record<string, unknown> {
  const cmd = new Command('t').exitOverride().configureOutput({ writeErr: () => undefined }).addOption(option);
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

describe('parsers', () => {
  it('accept good values', () => {
    expect(parsePositiveInt('3')).toBe(3);
    expect(parseAccel('tcg')).toBe('tcg');
    expect(parseIcount('0')).toBe(0);
    expect(parseIcount('auto')).toBe('auto');
    expect(collectList('a,b', ['x'])).toEqual(['x', 'a', 'b']);
    expect(parsePath('rel')).toBe(path.resolve('rel'));
  });

  it.each([
    [parsePositiveInt, '0'], [parsePositiveInt, '-1'], [parsePositiveInt, '1.5'], [parsePositiveInt, 'two'], [parsePositiveInt, ''],
    [parseAccel, 'hvf'], [parseAccel, ''],
    [parseIcount, '11'], [parseIcount, '-1'], [parseIcount, 'off'],
    [collectList, ','],
    [parsePath, ''],
  ] as const)('%o rejects %j', (fn, value) => {
    expect(() => (fn as (v: string, p: undefined) => unknown)(value, undefined)).toThrow(InvalidArgumentError);
  });
});

describe('shared options', () => {
  it('declare their defaults', () => {
    expect(parse(accelOption(), [])).toEqual({ accel: 'auto' });
    expect(parse(jobsOption('x', 1), [])).toEqual({ jobs: 1 });
    expect(parse(jobsOption('x'), ['-j', '2'])).toEqual({ jobs: 2 });
    // --base has no commander default: the action resolves it (bases.json is read only when needed).
    expect(parse(baseOption(), [])).toEqual({});
    expect(parse(basesOption(), ['--base', '6.12,6.1', '--base', 'x'])).toEqual({ base: ['6.12', '6.1', 'x'] });
    expect(parse(treeOption(), ['--tree', '.'])).toEqual({ tree: process.cwd() });
    expect(parse(cacheOption(), ['--cache', 'c'])).toEqual({ cache: path.resolve('c') });
  });

  it('say their defaults in their help', () => {
    expect(baseOption().description).toContain('(default: the primary base in kernel-patches/bases.json)');
    expect(cacheOption().description).toContain('(default: $IOFS_CACHE, else $XDG_CACHE_HOME/iofs, else ~/.cache/iofs)');
  });

  it.each([
    [accelOption(), ['--accel', 'fast']],
    [jobsOption('x'), ['-j', '0']],
    [icountOption(), ['--icount', '99']],
  ])('reject a bad value at parse time: %s', (option, args) => {
    expect(() => parse(option, args)).toThrow(CommanderError);
  });

  it('--base defaults to the primary base of bases.json', async () => {
    expect(await resolveBase(undefined)).toBe(await primaryBaseName());
    expect(await resolveBase('6.1')).toBe('6.1');
  });
});

describe('bad option values exit 2, naming the option, before anything runs', () => {
  it.each([
    ['vm', 'test', 'x', '--jobs', '0'],
    ['vm', 'test', 'x', '--accel', 'fast'],
    ['vm', 'boot', '-k', 'k', '--icount', '11'],
    ['vm', 'fuzz', '--seed', 'x'],
    ['kernel', 'build', '--jobs', 'many'],
    ['patches', 'status', '--accel', 'kvm2'],
    ['patches', 'format', '--version', '0'],
    ['bench', '--icount', 'sometimes'],
    ['demo', '--accel', 'x'],
    ['initrd', 'inspect', 'x', '--bogus'],
  ])('iofs %s', async (...args) => {
    const { program, err } = capturedProgram();
    expect(await runCli(['node', 'iofs', ...args], program)).toBe(2);
    expect(err()).toMatch(/^error: (option '.*' argument '.*' is invalid|unknown option)/);
  });
});
