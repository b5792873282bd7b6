/**
 * `iofs vm test` when the things under it break, and what it exposes. Each
 * failure must end in the right outcome, with a message saying what happened
 * and the run directory's logs in place:
 *  - QEMU missing (IOFS_QEMU names no binary) and QEMU refusing to start: INFRA
 *  - QEMU killed mid-boot: INFRA naming the signal; Ctrl-C mid-boot: INTERRUPTED,
 *    QEMU stopped, no process left; Ctrl-C during the kernel build: INTERRUPTED,
 *    make stopped, its lock released
 *  - the SSH port taken by someone else between our pick and QEMU's bind: retried
 *  - the guest's sshd refusing our key: BOOT-TIMEOUT saying so, before the bound
 *  - security: the key 0600 in a 0700 directory, the guest's authorized_keys
 *    0600, the forward bound to 127.0.0.1 only (QEMU's argv and `ss -ltn`)
 * Boots the core tier's kernel (the patched primary base, see testkernel.ts;
 * or IOFS_TEST_KERNEL).
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { cacheDir, repoRoot } from '../common/paths.js';
import { processesIn } from '../common/testutil.js';
import { packInitrd } from '../initrd/index.js';
import { buildKernel, lockPathFor } from '../kernel/index.js';
import type { RunResult } from './runner.js';
import { coreKernelSpec } from './testkernel.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');
const guestManifest = path.join(repoRoot, 'test-vms', 'guest', 'manifest.json');
const runsDir = path.join(cacheDir(), 'runs');
let tmp: string;
let kernel: string;
let KERNEL: Awaited<ReturnType<typeof coreKernelSpec>>;

beforeAll(async () => {
  KERNEL = await coreKernelSpec();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-failures-'));
  kernel = process.env.IOFS_TEST_KERNEL ?? (await buildKernel({ base: KERNEL.base, fragments: KERNEL.fragments, withPatches: true })).bzImage;
});
afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** A scenario file with a name no other run uses (run directories end in it). */
async function scenario(name: string, json: Record<string, unknown>): Promise<{ file: string; name: string }> {
  const unique = `${name}-${process.pid}-${Date.now() % 100000}`;
  const file = path.join(tmp, `${unique}.json`);
  await fs.writeFile(file, JSON.stringify({ description: name, kernel: KERNEL, initrd: { manifest: guestManifest, format: 'cpio', compress: 'none' }, checks: [], ...json }, null, 2));
  return { file, name: unique };
}

function vmTest(file: string, env: Record<string, string> = {}): ResultPromise<{ reject: false; env: Record<string, string>; timeout: number }> {
  return execa('node', [iofs, 'vm', 'test', file, '--kernel', kernel, '--accel', 'tcg'], { reject: false, env: { CI: '1', ...env }, timeout: 10 * 60_000 });
}

async function resultOf(stdout: string): Promise<RunResult> {
  const line = stdout.split('\n').find((l) => l.includes(' | '));
  const runDir = line?.split(' | ').pop()?.trim() ?? '';
  expect(runDir, stdout).toMatch(/^\//);
  return JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as RunResult;
}

/** The run directory of a scenario that is still running (fails at once if the run ended first). */
async function waitForRunDir(name: string, run: Promise<unknown>, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let ended: unknown;
  void run.then((r) => (ended = r));
  for (;;) {
    const hit = (await fs.readdir(runsDir).catch(() => [] as string[])).find((d) => d.endsWith(`-${name}`));
    if (hit) return path.join(runsDir, hit);
    if (ended) throw new Error(`the run of ${name} ended before its run directory appeared: ${JSON.stringify(ended).slice(0, 2000)}`);
    if (Date.now() > deadline) throw new Error(`no run directory for ${name}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitForConsole(runDir: string, re: RegExp, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await fs.readFile(path.join(runDir, 'console.log'), 'utf8').catch(() => '');
    if (re.test(text)) return;
    if (Date.now() > deadline) throw new Error(`console of ${runDir} never matched ${re}: ${text.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Processes whose command line mentions `needle` (QEMU's mentions its run directory's initrd). */
async function processesWith(needle: string): Promise<Array<{ pid: number; args: string }>> {
  const ps = await execa('ps', ['-eo', 'pid=,args='], { reject: false });
  return String(ps.stdout)
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), args: m[2] as string }))
    .filter((p) => p.args.includes(needle) && !p.args.startsWith('ps '));
}

describe('QEMU failures', () => {
  it('a missing QEMU binary is INFRA naming it, with results.json written', async () => {
    const s = await scenario('no-qemu', {});
    const missing = path.join(tmp, 'no-such-qemu');
    const r = await vmTest(s.file, { IOFS_QEMU: missing });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(ExitCode.INFRA);
    const res = await resultOf(String(r.stdout));
    expect(res.outcome).toBe('INFRA');
    expect(res.reason).toContain(`cannot run ${missing}`);
    expect(res.reason).toContain('apt-get install qemu-system-x86');
    expect(String(r.stdout)).toMatch(new RegExp(`^INFRA ${s.name} `, 'm'));
  });

  it('QEMU refusing to start is INFRA quoting QEMU, with its argv kept', async () => {
    // An initrd larger than QEMU will load into 64 MiB: QEMU exits before the guest prints anything.
    const big = path.join(tmp, 'big.img');
    await fs.writeFile(big, Buffer.alloc(80 << 20));
    const s = await scenario('qemu-refuses', { initrd: { image: big }, memoryMiB: 64 });
    const r = await vmTest(s.file);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(ExitCode.INFRA);
    const res = await resultOf(String(r.stdout));
    expect(res.reason).toMatch(/^QEMU failed to start \(exit 1\): qemu: initrd is too large/);
    expect(res.qemu?.exit?.code).toBe(1);
    expect(existsSync(path.join(res.runDir, 'qemu-argv.json'))).toBe(true);
    expect(existsSync(path.join(res.runDir, 'console.log'))).toBe(true);
  });

  it('QEMU killed mid-boot is INFRA naming the signal; the console so far is kept', async () => {
    const s = await scenario('qemu-killed', { bootTimeoutS: 180 });
    const run = vmTest(s.file);
    const runDir = await waitForRunDir(s.name, run);
    await waitForConsole(runDir, /\] (Linux version|Run \/init)/);
    const qemus = await processesWith(runDir);
    expect(qemus.length, JSON.stringify(qemus)).toBeGreaterThan(0);
    for (const q of qemus) process.kill(q.pid, 'SIGKILL');
    const r = await run;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(ExitCode.INFRA);
    const res = await resultOf(String(r.stdout));
    expect(res.reason).toMatch(/^QEMU exited SIGKILL before SSH came up/);
    expect(res.qemu?.exit?.signal).toBe('SIGKILL');
    expect(await fs.readFile(path.join(runDir, 'console.log'), 'utf8')).toContain(`Linux version ${KERNEL.base}`);
  });

  it('Ctrl-C mid-boot is INTERRUPTED: QEMU stopped, no process left, logs and results kept', async () => {
    const s = await scenario('ctrl-c', { bootTimeoutS: 180 });
    const run = vmTest(s.file);
    const runDir = await waitForRunDir(s.name, run);
    await waitForConsole(runDir, /\] Linux version/);
    expect((await processesWith(runDir)).length).toBeGreaterThan(0);
    run.kill('SIGINT');
    const r = await run;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(ExitCode.INTERRUPTED);
    expect(String(r.stderr)).toContain('SIGINT: stopping what runs (make, a packer or QEMU) and writing results');
    const res = JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as RunResult;
    expect(res.outcome).toBe('INTERRUPTED');
    expect(res.finishedAt).toBeDefined();
    expect(existsSync(path.join(runDir, 'console.log'))).toBe(true);
    expect(await processesWith(runDir)).toEqual([]);
  });
});

describe('Ctrl-C during the kernel build', () => {
  it('is INTERRUPTED: make and its compilers stopped, the build lock released, results kept', async () => {
    const s = await scenario('ctrl-c-build', { bootTimeoutS: 180 });
    // No --kernel: the scenario's kernel is built (an incremental make over the core kernel's build).
    const run = execa('node', [iofs, 'vm', 'test', s.file, '--accel', 'tcg'], { reject: false, env: { CI: '1' }, timeout: 10 * 60_000 });
    let stderr = '';
    run.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const deadline = Date.now() + 5 * 60_000;
    let buildDir: string | undefined;
    while (!buildDir && Date.now() < deadline) {
      buildDir = /==> building \S+ in (\S+) \(/.exec(stderr)?.[1];
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(buildDir, stderr).toBeDefined();
    const dir = buildDir as string;
    while ((await processesIn(dir)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    run.kill('SIGINT');
    const r = await run;
    expect(r.exitCode, `${r.stdout}\n${stderr}`).toBe(ExitCode.INTERRUPTED);
    const res = await resultOf(String(r.stdout));
    expect(res.outcome).toBe('INTERRUPTED');
    expect(res.reason).toMatch(/during a build or pack/);
    expect(stderr).toContain(`build ${KERNEL.base} patched: interrupted`);
    expect(await processesIn(dir)).toEqual([]);
    expect(existsSync(lockPathFor(cacheDir(), 'build', dir)), 'the build directory\'s lock is gone').toBe(false);
  });
});

describe('SSH', () => {
  it('retries another port when someone takes ours first; forwards bind 127.0.0.1 only; keys are 0600', async () => {
    // A QEMU wrapper that, on the first boot, binds the port QEMU was handed
    // (a real clash: QEMU then fails to set up the forward) and then steps aside.
    const state = path.join(tmp, 'clash');
    await fs.mkdir(state);
    const wrapper = path.join(tmp, 'qemu-clash');
    await fs.writeFile(
      wrapper,
      `#!/bin/bash
set -u
if [ ! -e "$CLASH_STATE/taken" ]; then
  for a in "$@"; do
    case $a in *hostfwd=tcp:127.0.0.1:*) p=\${a##*hostfwd=tcp:127.0.0.1:}; port=\${p%%-*} ;; esac
  done
  if [ -n "\${port:-}" ]; then
    echo "$port" >"$CLASH_STATE/taken"
    node -e 'require("net").createServer().listen(Number(process.argv[1]), "127.0.0.1", () => require("fs").writeFileSync(process.argv[2], ""))' "$port" "$CLASH_STATE/ready" </dev/null >/dev/null 2>&1 &
    echo $! >"$CLASH_STATE/holder"
    for _ in $(seq 100); do [ -e "$CLASH_STATE/ready" ] && break; sleep 0.1; done
  fi
fi
exec qemu-system-x86_64 "$@"
`,
      { mode: 0o755 },
    );
    const s = await scenario('port-taken', {
      bootTimeoutS: 180,
      checks: [
        { name: 'authorized_keys is 0600', run: 'stat -c %a /root/.ssh/authorized_keys', expect: { stdout: '600' } },
        { name: '.ssh is 0700', run: 'stat -c %a /root/.ssh', expect: { stdout: '700' } },
        // Keeps QEMU up while the host's listening sockets are inspected.
        { name: 'stay up a little', run: 'sleep 6', expect: {} },
      ],
    });
    const run = vmTest(s.file, { IOFS_QEMU: wrapper, CLASH_STATE: state });
    let listening: string[] = [];
    try {
      const runDir = await waitForRunDir(s.name, run);
      // Once SSH is up (first check written), look at what the host listens on for this guest.
      const deadline = Date.now() + 240_000;
      while (!existsSync(path.join(runDir, 'checks', '01-authorized-keys-is-0600.json')) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 300));
      const argv = JSON.parse(await fs.readFile(path.join(runDir, 'qemu-argv.json'), 'utf8')) as string[];
      const port = /hostfwd=tcp:127\.0\.0\.1:(\d+)-:22/.exec(argv.join(' '))?.[1];
      const ss = await execa('ss', ['-Hltn'], { reject: false });
      listening = String(ss.stdout).split('\n').filter((l) => l.includes(`:${port} `));
      expect(port).toBeDefined();
    } finally {
      const r = await run;
      const holder = await fs.readFile(path.join(state, 'holder'), 'utf8').catch(() => '');
      if (holder) process.kill(Number(holder), 'SIGTERM');
      expect(r.exitCode, `${r.stdout}\n${String(r.stderr).slice(-2000)}`).toBe(ExitCode.OK);
      const res = await resultOf(String(r.stdout));
      const taken = Number(await fs.readFile(path.join(state, 'taken'), 'utf8'));
      expect(taken).toBeGreaterThan(0);
      expect(res.qemu?.sshPort).toBeGreaterThan(0);
      expect(res.qemu?.sshPort).not.toBe(taken);
      expect(res.checks.map((c) => [c.name, c.ok])).toEqual([['authorized_keys is 0600', true], ['.ssh is 0700', true], ['stay up a little', true]]);
      // The forward listens on loopback only.
      expect(listening.length, 'ss -ltn shows the forwarded port while the guest runs').toBeGreaterThan(0);
      for (const l of listening) expect(l).toMatch(new RegExp(`\\s127\\.0\\.0\\.1:${res.qemu?.sshPort}\\s`));
      expect(res.qemu?.argv?.some((a) => /hostfwd=tcp:127\.0\.0\.1:\d+-:22$/.test(a))).toBe(true);
      expect(res.qemu?.argv?.some((a) => /hostfwd=tcp::|hostfwd=tcp:0\.0\.0\.0/.test(a))).toBe(false);
    }
    // The workspace key: private 0600 in a 0700 directory.
    const keyDir = path.join(cacheDir(), 'keys');
    expect((await fs.stat(keyDir)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(keyDir, 'id_ed25519'))).mode & 0o777).toBe(0o600);
  });

  it('a guest whose sshd refuses our key is BOOT-TIMEOUT saying so, well before the bound', async () => {
    const other = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'not-the-workspace-key' });
    const image = path.join(tmp, 'other-key.cpio');
    await packInitrd({ manifestPath: guestManifest, format: 'cpio', compress: 'none', output: image, authorizedKeys: [other.public] });
    const bound = 240;
    const s = await scenario('key-refused', { initrd: { image }, bootTimeoutS: bound, checks: [{ name: 'never runs', run: 'true', expect: {} }] });
    const started = Date.now();
    const r = await vmTest(s.file);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(ExitCode.BOOT_TIMEOUT);
    const res = await resultOf(String(r.stdout));
    expect(res.reason).toMatch(/the guest's sshd refused the key 3 times \(All configured authentication methods failed\)/);
    expect((Date.now() - started) / 1000).toBeLessThan(bound - 60);
    expect(res.checks).toEqual([]);
    expect(await fs.readFile(path.join(res.runDir, 'console.log'), 'utf8')).toMatch(/IOFS_MARKER stage=sshd/);
    expect(await processesWith(res.runDir)).toEqual([]);
  });
});
