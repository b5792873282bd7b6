/**
 * The scenario runner: acts on a plan (build or take the kernel, pack the
 * initrd into the run directory, boot, wait for SSH, run the checks) and
 * always leaves a run directory with the console, each check's output and
 * results.json, whatever happened.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import { InputError, IofsError } from '../common/errors.js';
import { log } from '../common/log.js';
import { cacheDir } from '../common/paths.js';
import { buildKernel, buildRecordBeside, readBuildRecordIfAny, type BuildRequest, type BuildResult } from '../kernel/index.js';
import { buildCompanion, generateInitrd } from '../distro/index.js';
import { appendVerityTree, applyImageEdits, archSysroot, bootconfigTrailer, describeImageEdit, DIGEST_PARAMETER, erofsImageDigest, VERITY_PARAMETER, expectedFile, hashFile, hostPathOf, importImage, manifestTree, packInitrd, type PackResult, type Sysroot } from '../initrd/index.js';
import { hostArchName, isForeign } from '../common/arch.js';
import { resolveAccel, type AccelDecision } from './accel.js';
import { inspectKernel } from './bzimage.js';
import { judgeBoot, judgeCheck, type Variables } from './checks.js';
import { recoverExitStatus, withExitStatusTrailer } from './exit-status.js';
import { parseConsoleFacts, type PanicReport } from './console.js';
import { Guest } from './guest.js';
import type { Outcome } from './outcome.js';
import { runDirName, type ImagePlan, type ScenarioPlan } from './plan.js';
import { qemuVersion, type QemuExit } from './qemu.js';
import { kernelCommandLine } from './qemu-args.js';
import type { BootExpectation } from './scenario.js';
import { ensureSshKey, type SshSession } from './ssh.js';
import { sha256File } from '../common/hash.js';

export interface CheckRecord {
  name: string;
  run: string;
  ok: boolean;
  reason?: string;
  exitCode: number | null;
  timedOut: boolean;
  durationS: number;
  /** Files in the run directory holding the full output. */
  stdoutFile: string;
  stderrFile: string;
}

export interface Timings {
  buildS?: number;
  packS?: number;
  qemuStartToFirstConsoleByteS?: number;
  /** The kernel's printk time at "Run /init as init process". */
  kernelRunInitS?: number;
  /** printk span from "Unpacking initramfs" to "Freeing initrd memory". */
  kernelUnpackS?: number;
  markerInitUptimeS?: number;
  markerSshdUptimeS?: number;
  /** Host seconds from QEMU's start to the first panic/Oops/BUG/WARNING line (console.log's stamp). */
  wallToPanicS?: number;
  memAvailableKbAtInit?: number;
  memTotalKb?: number;
  wallToSshReadyS?: number;
  checksS?: number;
  totalS?: number;
}

export interface RunResult {
  scenario: string;
  file: string;
  description: string;
  /** The verdict: with `expectBoot`, whether the boot did what was expected (an expected panic PASSes). */
  outcome: Outcome;
  /** One line: which check failed and why, the panic line, what timed out. */
  reason: string;
  /** What happened, before the boot expectation judged it (equal to `outcome` without one). */
  observedOutcome?: Outcome;
  /** The scenario's boot expectation, when it has one. */
  expectBoot?: BootExpectation;
  runDir: string;
  /** The guest's architecture, when --arch named one (absent: x86_64). */
  arch?: string;
  startedAt: string;
  finishedAt?: string;
  accel?: AccelDecision;
  kernel?: {
    bzImage: string;
    source: 'build' | 'given';
    request?: BuildRequest;
    buildDir?: string;
    metadataPath?: string;
    /** KCIDB patchset hash of the series the kernel was built with ("" for none), from iofs-build.json. */
    seriesHash?: string;
    /** How the built tree related to that series (applied, partial, diverged…). */
    seriesState?: string | null;
  };
  kernelRelease?: string;
  commandLine: string;
  memoryMiB: number;
  bootTimeoutS: number;
  /** The initrd booted: the edited copy when the scenario has `initrd.edits` (the pristine one is in `initrd.pristine`). */
  initrd?: InitrdRecord;
  /** The extra read-only virtio disk (/dev/vda), when the scenario has one. */
  disk?: ImageRecord;
  qemu?: { version?: string; argv?: string[]; sshPort?: number; exit?: QemuExit };
  host: { hostname: string; kernel: string; cpus: number; node: string };
  timings: Timings;
  panic?: PanicReport;
  unpackError?: string;
  checks: CheckRecord[];
}

/** An image a run used: what packInitrd returned, or a given image's size and hash. */
export type ImageRecord = Omit<PackResult, 'format'> & { format: PackResult['format'] | 'image'; path: string };

/** The initrd a run booted; after edits, the edited image, with the pristine one and the edits (described) beside it. */
export type InitrdRecord = ImageRecord & {
  pristine?: { path: string; bytes: number; sha256: string };
  edits?: string[];
};

export interface RunOptions {
  /** Aborts the run: QEMU is killed, the outcome is INTERRUPTED. */
  signal?: AbortSignal;
}

/** The series identity recorded by `iofs kernel build` next to a build; nothing when there is no such file. */
async function buildIdentity(metadataPath: string): Promise<{ metadataPath?: string; seriesHash?: string; seriesState?: string | null }> {
  const meta = await readBuildRecordIfAny(metadataPath);
  return meta ? { metadataPath, seriesHash: meta.seriesHash, seriesState: meta.seriesState ?? null } : {};
}

/** Makes <runsDir>/<stamp>-<name>[-N]: never shared, even for the same scenario twice at once. */
export async function createRunDir(name: string, runsDir = path.join(cacheDir(), 'runs'), now = new Date()): Promise<string> {
  await fs.mkdir(runsDir, { recursive: true });
  const base = runDirName(now, name);
  for (let n = 1; ; n++) {
    const dir = path.join(runsDir, n === 1 ? base : `${base}-${n}`);
    try {
      await fs.mkdir(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw err;
    }
  }
}

/**
 * Kernel builds share build directories and the machine's cores: one at a
 * time per process, and the same request is built once.
 */
let buildChain: Promise<unknown> = Promise.resolve();
const builds = new Map<string, Promise<BuildResult>>();

export function buildKernelOnce(req: BuildRequest, signal?: AbortSignal): Promise<BuildResult> {
  const key = JSON.stringify(req);
  let p = builds.get(key);
  if (!p) {
    // The first caller's signal stops the shared build: in one run every caller shares one signal.
    p = buildChain.then(() => buildKernel(signal ? { ...req, signal } : req));
    buildChain = p.catch(() => undefined);
    builds.set(key, p);
    p.catch(() => builds.delete(key));
  }
  return p;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'check';
}

const secondsSince = (t: number): number => Math.round((Date.now() - t) / 1000 * 1000) / 1000;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** Stops early with the outcome it names (used to leave the happy path from deep inside). */
class Verdict extends Error {
  constructor(
    readonly outcome: Outcome,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Ends a long step (a kernel build, a pack) as INTERRUPTED when the run is
 * aborted. The step got the same signal and stops its own processes (make,
 * compressors), releasing its lock and removing temporary output: wait for
 * that, so the CLI does not exit half way through the cleanup, but no more
 * than 30 s (after that the CLI's exit ends what is left).
 */
function untilAborted<T>(step: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return step;
  if (signal.aborted) return Promise.reject(new Verdict('INTERRUPTED', 'interrupted (SIGINT/SIGTERM)'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      const settled = step.then(() => undefined, () => undefined);
      const bound = new Promise<void>((r) => setTimeout(r, 30_000).unref());
      void Promise.race([settled, bound]).then(() => reject(new Verdict('INTERRUPTED', 'interrupted (SIGINT/SIGTERM) during a build or pack')));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // Once aborted, the step's own end (its "interrupted" error) is not the verdict: onAbort's is.
    step
      .then(
        (v) => (signal.aborted ? undefined : resolve(v)),
        (e: unknown) => (signal.aborted ? undefined : reject(e)),
      )
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The kernel a generated initrd is made for: its release, and the build directory holding its config and modules. */
interface ImageKernel {
  release?: string;
  buildDir?: string;
}

/** Companion builds for a packed image: guest path -> the built tool. */
async function companionFiles(companions: Record<string, string> | undefined): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [guest, name] of Object.entries(companions ?? {})) out[guest] = (await buildCompanion(name)).tool;
  return out;
}

/** A distribution's initrd for the kernel (with the fixed handover tool unless told not to), converted to EROFS if asked. */
async function generatedImage(image: Extract<ImagePlan, { kind: 'generate' }>, kernel: ImageKernel, s: { name: string; file: string }, signal?: AbortSignal): Promise<ImageRecord> {
  if (!kernel.release || !kernel.buildDir) {
    throw new InputError(`${path.basename(s.file)}: a ${image.generator} initrd is made for a kernel the workbench built (its config and modules); this run has no build directory (--kernel?)`);
  }
  // initramfs-tools hands over with busybox's run-init applet, or klibc's without busybox: both get the fix. dracut's systemd needs none.
  const fixed = image.companions && image.generator === 'initramfs-tools' ? { runInit: (await buildCompanion('klibc')).tool, busybox: (await buildCompanion('busybox')).tool } : undefined;
  // A microcode-style early cpio, for the generator's own hook to put in front.
  if (image.early) await packInitrd({ manifestPath: image.early.manifest, format: 'cpio', compress: 'none', output: image.early.cpio, ...(signal ? { signal } : {}) });
  const early = image.early ? { earlyCpio: image.early.cpio } : {};
  await generateInitrd({ generator: image.generator, kernel: { release: kernel.release, buildDir: kernel.buildDir }, output: image.cpio, workDir: image.workDir, ...(fixed ? { fixed } : {}), ...early });
  if (!image.erofs) {
    const { bytes, sha256 } = await hashFile(image.cpio);
    return { path: image.cpio, output: image.cpio, format: 'cpio', compress: `as ${image.generator} made it`, bytes, sha256 };
  }
  log.step(`${s.name}: converting the ${image.generator} initrd to EROFS (${image.erofs.compress})`);
  const converted = await importImage({ input: image.cpio, format: 'erofs', compress: image.erofs.compress, output: image.erofs.output, ...(signal ? { signal } : {}) });
  return { path: converted.output, output: converted.output, format: converted.format, compress: converted.compress, bytes: converted.bytes, sha256: converted.sha256 };
}

/** initrd_erofs_sha256=… for the scenario's `initrd.digest`: the image's own ("auto") or the one given. */
export async function digestParameter(digest: string | undefined, image: string, name: string): Promise<string | undefined> {
  if (!digest) return undefined;
  if (digest !== 'auto') return `${DIGEST_PARAMETER}=${digest}`;
  const d = await erofsImageDigest(image);
  if (!d) throw new InputError(`${name}: initrd.digest is "auto" but the initrd has no EROFS image to take a digest of`);
  return d.cmdline;
}

/** The initrd with the scenario's bootconfig appended, `${imageSha256}` replaced by its EROFS image's digest. */
async function withBootconfig(initrd: InitrdRecord, bootconfig: { lines: string[]; output: string }, name: string): Promise<InitrdRecord> {
  let text = bootconfig.lines.join('\n');
  if (text.includes('${imageSha256}')) {
    const d = await erofsImageDigest(initrd.path);
    if (!d) throw new InputError(`${name}: initrd.bootconfig names \${imageSha256} but the initrd has no EROFS image to take a digest of`);
    text = text.split('${imageSha256}').join(d.sha256);
  }
  const bytes = await fs.readFile(initrd.path);
  const out = Buffer.concat([bytes, bootconfigTrailer(`${text}\n`, bytes.length)]);
  await writeFileAtomic(bootconfig.output, out);
  return { ...initrd, path: bootconfig.output, output: bootconfig.output, bytes: out.length, sha256: createHash('sha256').update(out).digest('hex') };
}

/**
 * Writes `image` with its EROFS image's dm-verity hash tree appended to
 * `verity.output` (the image itself untouched); returns initrd_erofs_verity=…
 * for the scenario's `initrd.verity`: the tree's root ("auto") or the one given.
 */
export async function verityParameter(image: string, verity: { root: string; output: string }, signal?: AbortSignal): Promise<string> {
  const tree = await appendVerityTree(image, verity.output, signal);
  return verity.root === 'auto' ? tree.cmdline : `${VERITY_PARAMETER}=${verity.root}`;
}

/** Packs (with the workspace key), generates, or stats a given image; `what` names it in messages. */
async function obtainImage(
  what: 'initrd' | 'disk',
  image: ImagePlan,
  publicKey: string,
  s: { name: string; file: string },
  kernel: ImageKernel,
  signal?: AbortSignal,
  sysroot?: Sysroot,
): Promise<ImageRecord> {
  if (sysroot && (image.kind === 'generate' || (image.kind === 'pack' && image.companions))) {
    // Both are built for the host: the generators run the host's tools into the image, the companions are compiled for it.
    throw new InputError(`${path.basename(s.file)}: ${image.kind === 'generate' ? `a ${image.generator} initrd` : 'companion builds'} can only be made for the host's architecture (${hostArchName()}) so far`);
  }
  if (image.kind === 'pack') {
    const pack = image.pack;
    log.step(`${s.name}: packing ${pack.format} ${what} (${pack.compress ?? 'default compression'})`);
    const replaceFiles = await companionFiles(image.companions);
    const packed = await untilAborted(packInitrd({ ...pack, replaceFiles, authorizedKeys: [publicKey], signal, ...(sysroot ? { sysroot } : {}) }), signal);
    return { ...packed, path: packed.output };
  }
  if (image.kind === 'generate') return untilAborted(generatedImage(image, kernel, s, signal), signal);
  const st = await fs.stat(image.image).catch(() => undefined);
  if (!st?.isFile()) throw new IofsError(`${path.basename(s.file)}: ${what} image ${image.image}: no such file`);
  return { path: image.image, output: image.image, format: 'image', compress: 'as given', bytes: st.size, sha256: await sha256File(image.image) };
}

/**
 * Host seconds since QEMU's start at which `line` first appears in
 * console.log (`[+12.345s] <line>`): the console records each line's host
 * time, the line list does not.
 */
export function consoleLogTimeOf(consoleLog: string, line: string): number | undefined {
  for (const entry of consoleLog.split('\n')) {
    const m = /^\[\+(\d+\.\d+)s\] (.*)$/.exec(entry);
    if (m && m[2] === line) return Number(m[1]);
  }
  return undefined;
}

/**
 * Size and SHA-256 of each guest file the expectations name
 * (${initrdFileSha256:…}, ${initrdFileBytes:…}), from the tree the initrd is
 * packed from (manifest and payload; without the SSH key, added at pack time).
 */
export async function expectedInitrdFiles(plan: Pick<ScenarioPlan, 'scenario' | 'initrd' | 'initrdFiles'>, sysroot?: Sysroot): Promise<Variables['initrdFiles']> {
  const out: Variables['initrdFiles'] = {};
  if (plan.initrdFiles.length === 0) return out;
  const where = path.basename(plan.scenario.file);
  if (plan.initrd.kind !== 'pack') throw new InputError(`${where}: \${initrdFile…:PATH} needs an initrd packed from a manifest`);
  const { manifestPath, payloadBytes } = plan.initrd.pack;
  const tree = await manifestTree(manifestPath, { payloadBytes, sysroot });
  for (const f of plan.initrdFiles) {
    out[f] = await expectedFile(tree, f).catch((err: Error) => {
      throw new InputError(`${where}: \${initrdFile…:${f}}: the initrd packed from ${manifestPath} holds no such file (${err.message})`);
    });
  }
  return out;
}

export async function runScenario(plan: ScenarioPlan, opts: RunOptions = {}): Promise<RunResult> {
  const t0 = Date.now();
  const s = plan.scenario;
  const result: RunResult = {
    scenario: s.name,
    file: s.file,
    description: s.description,
    outcome: 'INFRA',
    reason: 'did not finish',
    observedOutcome: undefined,
    expectBoot: undefined,
    runDir: plan.runDir,
    ...(plan.arch ? { arch: plan.arch.name } : {}),
    startedAt: new Date(t0).toISOString(),
    commandLine: plan.boot.commandLine,
    memoryMiB: plan.boot.memoryMiB,
    bootTimeoutS: plan.boot.bootTimeoutS,
    // Placeholders fix the key order of results.json (JSON.stringify drops undefined ones).
    kernel: undefined,
    kernelRelease: undefined,
    initrd: undefined,
    disk: undefined,
    accel: undefined,
    qemu: undefined,
    host: { hostname: os.hostname(), kernel: `${os.type()} ${os.release()} ${os.arch()}`, cpus: os.cpus().length, node: process.version },
    timings: {},
    checks: [],
  };
  const resultsFile = path.join(plan.runDir, 'results.json');
  const save = (): Promise<void> => writeFileAtomic(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  if (plan.expectBoot) result.expectBoot = plan.expectBoot;
  let guest: Guest | undefined;
  let session: SshSession | undefined;
  let vars: Variables | undefined;
  const interrupted = (): never => {
    throw new Verdict('INTERRUPTED', 'interrupted (SIGINT/SIGTERM): QEMU stopped');
  };
  const onAbort = (): void => {
    // Killing QEMU ends any SSH wait or command in flight.
    void guest?.stop();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await save();
    // Another architecture's guest userland comes from its Debian packages, unpacked into a sysroot.
    const sysroot = plan.arch ? await archSysroot(plan.arch, cacheDir()) : undefined;
    // 0. Host files the checks compare against: a missing one is the scenario's fault, found before any build.
    const hostSha256: Record<string, string> = {};
    for (const f of plan.hostFiles) {
      // With a sysroot the guest's binaries are its files: a path it holds (/bin/busybox) is read there.
      const inSysroot = sysroot ? hostPathOf(f, sysroot) : undefined;
      const file = inSysroot && (await fs.stat(inSysroot).catch(() => undefined)) ? inSysroot : f;
      hostSha256[f] = await sha256File(file).catch((err: NodeJS.ErrnoException) => {
        throw new InputError(`${path.basename(s.file)}: \${hostSha256:…} names ${f}, which cannot be read (${err.code ?? err.message})`);
      });
    }
    // Guest files the checks compare against, as packing will make them: a path the initrd will not hold is the scenario's fault, found before any build.
    const initrdFiles = await expectedInitrdFiles(plan, sysroot);
    // 1. Kernel.
    let bzImage: string;
    const tBuild = Date.now();
    if (plan.kernel.kind === 'given') {
      bzImage = plan.kernel.bzImage;
      const { release } = await inspectKernel(bzImage);
      // A bzImage from an iofs build dir (<build>/arch/x86/boot/bzImage) still says which series it carries.
      result.kernel = { bzImage, source: 'given', ...(await buildIdentity(buildRecordBeside(bzImage))) };
      if (release) result.kernelRelease = release;
    } else {
      log.step(`${s.name}: building kernel ${plan.kernel.request.base} (${plan.kernel.request.fragments.join(', ')}${plan.kernel.request.withPatches ? ', with patches' : ', no patches'})`);
      const built = await untilAborted(buildKernelOnce(plan.kernel.request, opts.signal), opts.signal);
      bzImage = built.bzImage;
      result.kernel = { bzImage, source: 'build', request: plan.kernel.request, buildDir: built.buildDir, ...(await buildIdentity(built.metadataPath)) };
      result.kernelRelease = built.kernelRelease;
      result.timings.buildS = secondsSince(tBuild);
    }
    if (opts.signal?.aborted) interrupted();

    // 2. Initrd, packed with the workspace key authorized (or a given image, as is).
    const key = await ensureSshKey();
    const tPack = Date.now();
    const imageKernel: ImageKernel = { ...(result.kernelRelease ? { release: result.kernelRelease } : {}), ...(result.kernel?.buildDir ? { buildDir: result.kernel.buildDir } : {}) };
    let initrd: InitrdRecord = await obtainImage('initrd', plan.initrd, key.publicKey, s, imageKernel, opts.signal, sysroot);
    let verity: string | undefined;
    if (plan.initrd.verity) {
      const { output } = plan.initrd.verity;
      verity = await verityParameter(initrd.path, plan.initrd.verity, opts.signal);
      initrd = { ...initrd, path: output, output, bytes: (await fs.stat(output)).size, sha256: await sha256File(output) };
    }
    // Taken from the pristine image: edits after it are what the kernel must refuse.
    const digest = await digestParameter(plan.initrd.digest, initrd.path, s.name);
    if (plan.initrd.bootconfig) initrd = await withBootconfig(initrd, plan.initrd.bootconfig, s.name);
    const append = [plan.boot.append, digest, verity, plan.initrd.bootconfig ? 'bootconfig' : undefined].filter(Boolean).join(' ');
    result.commandLine = kernelCommandLine(append, plan.boot.machine?.append);
    if (plan.initrd.edits) {
      // The pristine image stays beside the edited one, so a surprising boot can be replayed and compared.
      const { edits, editedOutput } = plan.initrd.edits;
      const described = edits.map(describeImageEdit);
      log.step(`${s.name}: editing the initrd: ${described.join('; ')}`);
      const edited = applyImageEdits(await fs.readFile(initrd.path), edits);
      await writeFileAtomic(editedOutput, edited);
      initrd = {
        ...initrd,
        path: editedOutput,
        output: editedOutput,
        bytes: edited.length,
        sha256: createHash('sha256').update(edited).digest('hex'),
        pristine: { path: initrd.path, bytes: initrd.bytes, sha256: initrd.sha256 },
        edits: described,
      };
    }
    result.initrd = initrd;
    if (plan.disk) result.disk = await obtainImage('disk', plan.disk, key.publicKey, s, imageKernel, opts.signal, sysroot);
    if (plan.initrd.kind !== 'image' || plan.disk?.kind === 'pack') result.timings.packS = secondsSince(tPack);
    vars = {
      scalars: {
        initrdSha256: initrd.sha256,
        initrdBytes: String(initrd.bytes),
        initrdFormat: initrd.format,
        initrdCompress: initrd.compress,
      },
      hostSha256: {},
      initrdFiles,
    };
    if (result.kernelRelease) vars.scalars.kernelRelease = result.kernelRelease;
    Object.assign(vars.hostSha256, hostSha256);
    if (opts.signal?.aborted) interrupted();

    // 3. Boot and wait for SSH.
    const foreign = plan.arch && isForeign(plan.arch) ? `an ${plan.arch.name} guest on an ${hostArchName()} host (KVM runs the host's architecture only)` : undefined;
    result.accel = await resolveAccel(plan.boot.accel, bzImage, {
      tcgOnlyBecause: foreign ?? (plan.boot.icountShift !== undefined ? 'icount (deterministic clock) needs TCG' : undefined),
    });
    result.qemu = { version: await qemuVersion(plan.boot.machine?.binary, plan.boot.machine?.debianPackage) };
    log.step(`${s.name}: booting (${result.accel.accel}; ${result.accel.why})`);
    guest = await Guest.start({
      kernel: bzImage,
      ...(plan.boot.machine ? { machine: plan.boot.machine } : {}),
      initrd: initrd.path,
      append,
      memoryMiB: plan.boot.memoryMiB,
      accel: result.accel.accel,
      icountShift: plan.boot.icountShift,
      disks: result.disk ? [result.disk.path] : [],
      runDir: plan.runDir,
    });
    result.qemu.argv = guest.qemu.argv;
    if (guest.qemu.sshPort !== undefined) result.qemu.sshPort = guest.qemu.sshPort;
    if (opts.signal?.aborted) interrupted();
    const wait = await guest.waitForSsh(key.privateKey, plan.boot.bootTimeoutS, opts.signal);
    switch (wait.kind) {
      case 'interrupted':
        interrupted();
        break;
      case 'panic':
        throw new Verdict('PANIC', `kernel ${wait.report.kind} before SSH: ${wait.report.line}`);
      case 'timeout':
        throw new Verdict('BOOT-TIMEOUT', wait.detail);
      case 'exited': {
        const e = wait.exit;
        if (e.code !== 0 && guest.qemu.firstConsoleByteAt === undefined) {
          throw new Verdict('INFRA', `QEMU failed to start (exit ${e.code ?? e.signal}): ${e.stderr.trim() || 'no message'}`);
        }
        throw new Verdict(
          e.code === 0 ? 'BOOT-TIMEOUT' : 'INFRA',
          e.code === 0
            ? 'the guest reset or powered off before SSH came up (QEMU exited 0), with no panic on the console'
            : `QEMU exited ${e.code ?? e.signal} before SSH came up: ${e.stderr.trim() || 'no message'}`,
        );
      }
      case 'ready':
        session = wait.session;
        result.timings.wallToSshReadyS = round3(wait.wallToSshReadyS);
        log.step(`${s.name}: SSH ready after ${result.timings.wallToSshReadyS.toFixed(1)}s; ${plan.checks.length} check(s)`);
    }

    if (!session) throw new Error('internal: SSH wait ended without a session or a verdict');

    // 4. Checks: all of them run (one failure should not hide the others), unless the guest dies.
    const tChecks = Date.now();
    const checksDir = path.join(plan.runDir, 'checks');
    await fs.mkdir(checksDir, { recursive: true });
    for (const [idx, check] of plan.checks.entries()) {
      if (opts.signal?.aborted) interrupted();
      if (guest.qemu.hasExited()) break;
      const base = path.join(checksDir, `${String(idx + 1).padStart(2, '0')}-${slug(check.name)}`);
      const tCheck = Date.now();
      let record: CheckRecord;
      try {
        const r = recoverExitStatus(await session.exec(withExitStatusTrailer(check.run), check.timeoutS * 1000));
        await Promise.all([writeFileAtomic(`${base}.stdout`, r.stdout), writeFileAtomic(`${base}.stderr`, r.stderr)]);
        const verdict = r.timedOut
          ? { ok: false, reason: `timed out after ${check.timeoutS}s` }
          : judgeCheck(check, r, vars, s.file);
        record = { name: check.name, run: check.run, ok: verdict.ok, exitCode: r.exitCode, timedOut: r.timedOut, durationS: secondsSince(tCheck), stdoutFile: path.relative(plan.runDir, `${base}.stdout`), stderrFile: path.relative(plan.runDir, `${base}.stderr`) };
        if (verdict.reason) record.reason = verdict.reason;
      } catch (err) {
        record = { name: check.name, run: check.run, ok: false, reason: `could not run: ${(err as Error).message}`, exitCode: null, timedOut: false, durationS: secondsSince(tCheck), stdoutFile: '', stderrFile: '' };
      }
      await writeFileAtomic(`${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
      result.checks.push(record);
      log.info(`  ${record.ok ? 'ok  ' : 'FAIL'} ${check.name}${record.reason ? `: ${record.reason}` : ''}`);
    }
    result.timings.checksS = secondsSince(tChecks);
    const failed = result.checks.find((c) => !c.ok);
    if (opts.signal?.aborted) interrupted();
    if (result.checks.length < plan.checks.length) {
      throw new Verdict('FAIL', `QEMU exited during the checks (after ${result.checks.length} of ${plan.checks.length})`);
    }
    if (failed) throw new Verdict('FAIL', `check "${failed.name}" failed: ${failed.reason}`);
    result.outcome = 'PASS';
    result.reason = `${plan.checks.length} check(s) passed`;
  } catch (err) {
    if (err instanceof Verdict) {
      result.outcome = err.outcome;
      result.reason = err.reason;
    } else if (opts.signal?.aborted) {
      result.outcome = 'INTERRUPTED';
      result.reason = 'interrupted (SIGINT/SIGTERM)';
    } else {
      // Build, pack, key or QEMU problems: the test could not be carried out.
      result.outcome = 'INFRA';
      result.reason = err instanceof IofsError ? `${err.message}${err.hint ? ` (hint: ${err.hint})` : ''}` : `${(err as Error).message ?? String(err)}`;
      if (!(err instanceof IofsError)) log.debug((err as Error).stack ?? String(err));
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    session?.close();
    if (guest) {
      const exit = await guest.stop();
      result.qemu = { ...result.qemu, exit };
      finishFromConsole(result, guest);
      if (result.panic) {
        await writeFileAtomic(path.join(plan.runDir, 'panic.txt'), `${result.panic.line}\n\n${result.panic.context.join('\n')}\n`);
        const consoleLog = await fs.readFile(path.join(plan.runDir, 'console.log'), 'utf8').catch(() => '');
        const at = consoleLogTimeOf(consoleLog, result.panic.firstLine);
        if (at !== undefined) result.timings.wallToPanicS = at;
      }
    }
    result.observedOutcome = result.outcome;
    if (plan.expectBoot) {
      try {
        const verdict = judgeBoot(
          plan.expectBoot,
          { outcome: result.outcome, reason: result.reason, panic: result.panic, wallToPanicS: result.timings.wallToPanicS, consoleLines: guest?.qemu.lines ?? [] },
          vars ?? { scalars: {}, hostSha256: {}, initrdFiles: {} },
          s.file,
        );
        result.outcome = verdict.outcome;
        result.reason = verdict.reason;
      } catch (err) {
        // A variable with no value in this run (no kernel release from a given bzImage).
        result.outcome = 'FAIL';
        result.reason = `expectBoot could not be judged: ${(err as Error).message}`;
      }
    }
    result.timings.totalS = secondsSince(t0);
    result.finishedAt = new Date().toISOString();
    await save();
  }
  return result;
}

/** Console-derived timings, and the final word on panics: trouble anywhere on the console makes the run PANIC. */
function finishFromConsole(result: RunResult, guest: Guest): void {
  const q = guest.qemu;
  if (q.firstConsoleByteAt !== undefined) result.timings.qemuStartToFirstConsoleByteS = round3((q.firstConsoleByteAt - q.startedAt) / 1000);
  const facts = parseConsoleFacts(q.lines);
  if (facts.runInitS !== undefined) result.timings.kernelRunInitS = facts.runInitS;
  if (facts.unpackS !== undefined) result.timings.kernelUnpackS = facts.unpackS;
  if (facts.unpackError) result.unpackError = facts.unpackError;
  const init = facts.markers.find((m) => m.stage === 'init');
  const sshd = facts.markers.find((m) => m.stage === 'sshd');
  if (init?.uptime !== undefined) result.timings.markerInitUptimeS = init.uptime;
  if (sshd?.uptime !== undefined) result.timings.markerSshdUptimeS = sshd.uptime;
  const avail = Number(init?.fields.mem_available_kb);
  if (Number.isFinite(avail) && init?.fields.mem_available_kb !== undefined) result.timings.memAvailableKbAtInit = avail;
  const total = Number(init?.fields.mem_total_kb);
  if (Number.isFinite(total) && init?.fields.mem_total_kb !== undefined) result.timings.memTotalKb = total;
  const panic = guest.panic();
  if (panic) {
    result.panic = panic;
    if (result.outcome !== 'INTERRUPTED' && result.outcome !== 'PANIC') {
      const was = result.outcome === 'PASS' ? '' : ` (the run was otherwise ${result.outcome}: ${result.reason})`;
      result.outcome = 'PANIC';
      result.reason = `kernel ${panic.kind}: ${panic.line}${was}`;
    }
  }
}
