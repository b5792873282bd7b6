import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '../common/paths.js';
import { bashCompletion } from './completion.js';
import { buildProgram, runCli } from './program.js';
import { capturedProgram } from './testutil.js';

/** Every command below the root, groups included, as the words that name it. */
const commands = (cmd: Command, prefix: string[] = []): string[][] =>
  cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commands(c, [...prefix, c.name()])]);

afterEach(() => vi.restoreAllMocks());

describe('iofs', () => {
  it.each([[], ...commands(buildProgram())].map((p) => [p.join(' '), p]))('iofs %s --help: exit 0, with examples', async (_name, words) => {
    const { program, out } = capturedProgram();
    expect(await runCli(['node', 'iofs', ...words, '--help'], program)).toBe(0);
    expect(out()).toMatch(/\nExamples?( \(.*\))?:\n {2}/);
  });

  it('--version: the package version and the primary base', async () => {
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(await runCli(['node', 'iofs', '--version'], capturedProgram().program)).toBe(0);
    expect(stdout).toMatch(new RegExp(`^iofs ${pkg.version.replace(/\./g, '\\.')} \\(primary kernel base \\S+\\)\n$`));
  });

  it('after a verb, --version is the verb\'s (patches format --version N)', async () => {
    const { program, out, err } = capturedProgram();
    expect(await runCli(['node', 'iofs', 'patches', 'format', '--version', '0'], program)).toBe(2);
    expect(out()).toBe('');
    expect(err()).toContain("option '--version <n>' argument '0' is invalid");
  });

  it('bisect-run: a usage error exits 255, so git bisect stops instead of marking the commit bad', async () => {
    const { program, err } = capturedProgram();
    expect(await runCli(['node', 'iofs', 'bisect-run', 'cpio-gzip', '--accel', 'fast'], program)).toBe(255);
    expect(err()).toContain('must be one of auto, kvm, tcg');
  });

  it('-q and -v work on either side of the verb', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    for (const args of [['-v', 'completion', 'bash'], ['completion', 'bash', '-q']]) {
      expect(await runCli(['node', 'iofs', ...args], capturedProgram().program)).toBe(0);
    }
  });

  it('no verb, or an unknown one: usage, exit 2', async () => {
    expect(await runCli(['node', 'iofs'], capturedProgram().program)).toBe(2);
    const { program, err } = capturedProgram();
    expect(await runCli(['node', 'iofs', 'bulid'], program)).toBe(2);
    expect(err()).toContain("unknown command 'bulid'");
  });
});

describe('iofs completion bash', () => {
  const complete = async (words: string[]): Promise<string[]> => {
    const script = `${bashCompletion(buildProgram())}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _iofs; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script]);
    return stdout.split('\n').filter(Boolean);
  };

  it('completes verbs, subverbs, options, option choices and scenario names', async () => {
    expect(await complete(['iofs', ''])).toEqual(expect.arrayContaining(['demo', 'kernel', 'patches', 'vm', 'bisect-run', 'bench', 'completion']));
    expect(await complete(['iofs', 'vm', 't'])).toEqual(['test']);
    expect(await complete(['iofs', '-v', 'kernel', 'build', '--base', '6.12', '--ca'])).toEqual(['--cache']);
    expect(await complete(['iofs', 'vm', 'test', '--accel', ''])).toEqual(['auto', 'kvm', 'tcg']);
    expect(await complete(['iofs', 'vm', 'test', 'cpio-gz'])).toEqual(['cpio-gzip']);
    expect(await complete(['iofs', 'patches', 'format', '--version', ''])).toEqual([]);
  });
});
