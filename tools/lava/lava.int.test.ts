/**
 * Issue 13's proof with a real LAVA: scenarios exported as LAVA jobs run in
 * Debian's lava-dispatcher (`lava-run`, QEMU device rendered by
 * tools/lava/device.ts, artifacts served from 127.0.0.1), and the logs,
 * mapped back by `iofs lava results`, give the same verdicts as `iofs vm
 * test` on the same scenarios and kernel: a kernel-mode scenario that
 * passes, a corrupted image that panics on purpose, the cpio guest on the
 * patched kernel, and a scenario written here whose check must fail. Every
 * exported job and device also passes lava-common's schema check.
 * Needs `scripts/setup --lava` (what `scripts/test --full` runs).
 */
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';
import { runScenarios, scenariosDir, type RunResult } from '../vm/index.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');
const LAVA_SCHEMA = '/usr/share/lava-common/lava-schema.py';
// lava-common's script needs Debian's python3 (voluptuous), not one first on PATH.
const PYTHON = '/usr/bin/python3';
const SCENARIOS = ['kmode-erofs-inplace', 'kmode-corrupt-truncated', 'kmode-cpio-gzip'];

let tmp: string;
let server: http.Server;
let base: string;
let wrong: string;
const vmTest = new Map<string, RunResult>();
const lavaLines = new Map<string, string>();

function serve(dir: string): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    const file = path.join(dir, path.normalize(decodeURIComponent(req.url ?? '/')).replace(/^(\.\.[/\\])+/, ''));
    fs.stat(file).then(
      (st) => {
        if (!st.isFile()) throw new Error('not a file');
        res.writeHead(200, { 'content-length': st.size });
        createReadStream(file).pipe(res);
      },
      () => {
        res.writeHead(404).end();
      },
    );
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

beforeAll(async () => {
  const lavaRun = await execa('lava-run', ['--help'], { reject: false });
  if (lavaRun.exitCode !== 0) throw new Error('lava-run is not installed: run `scripts/setup --lava` (Debian\'s lava-dispatcher), or `scripts/test --full`, which does');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-lava-int-'));
  // kmode-cpio-gzip with a check that must fail: the mapping must be able to say FAIL.
  const cpio = JSON.parse(await fs.readFile(path.join(scenariosDir, 'kmode-cpio-gzip.json'), 'utf8')) as Record<string, unknown> & { initrd: object };
  wrong = path.join(tmp, 'lava-wrong-release.json');
  await fs.writeFile(wrong, JSON.stringify({
    ...cpio,
    initrd: { ...cpio.initrd, manifest: path.join(repoRoot, 'test-vms', 'guest', 'manifest.json') },
    expectBoot: undefined,
    checks: [
      { name: 'kernel release', run: 'uname -r', expect: { stdout: '${kernelRelease}' } },
      { name: 'a release this kernel is not', run: 'uname -r', expect: { stdout: '0.0.0-not-this' } },
    ],
  }));

  // iofs vm test on the same scenarios: the verdicts LAVA must reproduce, and the kernel it exports.
  const suite = await runScenarios({ scenarios: [...SCENARIOS, wrong], jobs: 1, keepGoing: true, accel: 'tcg', runsDir: path.join(tmp, 'runs') });
  for (const r of suite.results) vmTest.set(r.scenario, r);
  const bzImage = vmTest.get('kmode-erofs-inplace')?.kernel?.bzImage;
  if (!bzImage) throw new Error(`iofs vm test built no kernel: ${JSON.stringify([...vmTest.values()].map((r) => r.reason))}`);

  const out = path.join(tmp, 'export');
  await fs.mkdir(out);
  server = await serve(out);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await execa('node', [iofs, 'lava', 'export', ...SCENARIOS, wrong, '--artifacts-url', base, '-o', out, '--kernel', bzImage], { stdio: ['ignore', 'pipe', 'inherit'] });

  const logs: string[] = [];
  for (const [i, name] of [...SCENARIOS, 'lava-wrong-release'].entries()) {
    const log = path.join(tmp, `${name}.log`);
    // lava-run exits 1 for an incomplete job (the expected panic): the mapping judges it, not the exit code.
    const run = await execa('lava-run', ['--job-id', String(9000 + i), '--output-dir', path.join(tmp, 'lava-run', name), '--device', path.join(out, name, 'device.yaml'), path.join(out, name, 'job.yaml')], { reject: false, all: true });
    await fs.writeFile(log, run.all ?? '');
    logs.push(log);
  }
  const mapped = await execa('node', [iofs, 'lava', 'results', '--export', out, ...logs, '--junit', path.join(tmp, 'lava.xml')], { reject: false });
  for (const line of mapped.stdout.split('\n').filter(Boolean)) lavaLines.set(line.split(' ')[1] ?? '', line);
}, 1_800_000);

afterAll(async () => {
  server?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('LAVA jobs exported from scenarios, run by lava-run', () => {
  it('every job and device passes lava-common\'s schema', async () => {
    for (const name of [...SCENARIOS, 'lava-wrong-release']) {
      for (const [kind, file] of [['job', 'job.yaml'], ['device', 'device.yaml']] as const) {
        const r = await execa(PYTHON, [LAVA_SCHEMA, kind, path.join(tmp, 'export', name, file)], { reject: false, all: true });
        expect(r.exitCode, `${name}/${file}: ${r.all}`).toBe(0);
      }
    }
  });

  it.each([
    ['kmode-erofs-inplace', 'PASS', 'PASS'],
    ['kmode-corrupt-truncated', 'PASS', 'PANIC'],
    ['kmode-cpio-gzip', 'PASS', 'PASS'],
    ['lava-wrong-release', 'FAIL', 'FAIL'],
  ])('%s: lava-run and iofs vm test agree (%s, observed %s)', (name, outcome, observed) => {
    const vm = vmTest.get(name);
    expect(vm?.outcome, `iofs vm test: ${vm?.reason}`).toBe(outcome);
    const line = lavaLines.get(name) ?? `(no line for ${name}: ${[...lavaLines.values()].join(' / ')})`;
    expect(line.split(' ')[0], line).toBe(outcome);
    expect(line).toContain(observed === outcome ? `${outcome} ${name}` : `observed=${observed}`);
  });

  it('LAVA recorded one test case per check, and the failed check by name', async () => {
    const log = await fs.readFile(path.join(tmp, 'kmode-erofs-inplace.log'), 'utf8');
    const cases = [...log.matchAll(/"case": "(\d\d-[a-z0-9-]+)", "definition": "0_iofs-checks".*?"result": "(pass|fail)"/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(cases.length).toBe(vmTest.get('kmode-erofs-inplace')?.checks.length);
    expect(cases.every((c) => c.endsWith('=pass')), cases.join(' ')).toBe(true);
    expect(lavaLines.get('lava-wrong-release')).toContain('check "a release this kernel is not" failed: stdout "');
    const wrongLog = await fs.readFile(path.join(tmp, 'lava-wrong-release.log'), 'utf8');
    expect(wrongLog).toMatch(/"case": "02-a-release-this-kernel-is-not", "definition": "0_iofs-checks".*"result": "fail"/);
  });

  it('the expected panic is quoted from the console, as iofs vm test quotes it', () => {
    const vmPanic = vmTest.get('kmode-corrupt-truncated')?.panic?.line.replace(/^\[[^\]]*\]\s*/, '');
    expect(vmPanic).toBe('Kernel panic - not syncing: initrd_erofs: superblock check failed: -22');
    expect(lavaLines.get('kmode-corrupt-truncated')).toContain(vmPanic);
  });
});
