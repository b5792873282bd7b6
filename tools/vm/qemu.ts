/**
 * Running QEMU unattended: the serial console is written by QEMU itself into
 * console.raw, followed from there line by line with host timestamps
 * (console.log), and
 * handed to listeners as it comes, so the runner can watch for panics while
 * it waits for SSH.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { execa, type ResultPromise } from 'execa';
import { InfraError } from '../common/errors.js';
import { log } from '../common/log.js';
import { FileTail } from './file-tail.js';
import { formatTimestampedLine, LineSplitter, stripControl } from './console.js';
import { pickFreePort } from './ports.js';
import { buildQemuArgs, isHostForwardClash, X86_64_MACHINE, type QemuArgsOptions } from './qemu-args.js';

export const QEMU_BINARY = X86_64_MACHINE.binary;

const qemuVersions = new Map<string, Promise<string>>();

/** "QEMU emulator version 7.2.22 (Debian …)", memoized per binary. */
export function qemuVersion(binary = QEMU_BINARY, debianPackage = 'qemu-system-x86'): Promise<string> {
  let p = qemuVersions.get(binary);
  if (!p) {
    p = execa(binary, ['--version'])
      .then((r) => r.stdout.split('\n')[0]?.trim() ?? 'unknown')
      .catch((err: unknown) => {
        qemuVersions.delete(binary);
        throw new InfraError(`cannot run ${binary}: ${(err as Error).message}`, {
          hint: `install it: apt-get install ${debianPackage} (or run scripts/setup)`,
        });
      });
    qemuVersions.set(binary, p);
  }
  return p;
}

export interface QemuExit {
  code: number | null;
  signal: string | null;
  /** QEMU's own stderr (its errors; the guest console is on stdout). */
  stderr: string;
}

export interface ConsoleFiles {
  /** Timestamped lines. */
  log: string;
  /** Exactly the bytes the guest wrote. */
  raw: string;
}

export interface StartOptions extends Omit<QemuArgsOptions, 'sshPort' | 'serial'> {
  /** Forward a loopback port to the guest's sshd (picked here, retried on a clash). */
  forwardSsh: boolean;
  consoleFiles?: ConsoleFiles;
  /** Called for every complete console line, ANSI and all. */
  onLine?: (line: string) => void;
}

export interface RunningQemu {
  argv: string[];
  sshPort: number | undefined;
  pid: number | undefined;
  /** Date.now() when QEMU was spawned (the attempt that stuck). */
  startedAt: number;
  /** Date.now() of the first console byte, once seen. */
  firstConsoleByteAt: number | undefined;
  /** Every console line so far. */
  lines: string[];
  /** Settles when QEMU is gone, for whatever reason. Never rejects. */
  exited: Promise<QemuExit>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after a grace period; resolves when it is gone. */
  stop(): Promise<QemuExit>;
}

const CLASH_ATTEMPTS = 5;
/** How long to wait for QEMU's first console byte (or its exit) before handing it to the caller anyway. */
const EARLY_EXIT_WAIT_MS = 20_000;

/**
 * Starts QEMU with the serial console in a file. A port clash on the SSH
 * forward (another process bound it after we picked it) is retried with a new
 * port; any other early exit is returned as an exited QEMU for the caller to
 * classify (it has the stderr).
 */
export async function startQemu(o: StartOptions): Promise<RunningQemu> {
  for (let attempt = 1; ; attempt++) {
    const sshPort = o.forwardSsh ? await pickFreePort() : undefined;
    // A caller without console files gets a scratch console, removed with the QEMU.
    const scratch = o.consoleFiles ? undefined : await mkdtemp(path.join(tmpdir(), 'iofs-console-'));
    const consoleFile = { raw: o.consoleFiles?.raw ?? path.join(scratch ?? '', 'console.raw'), scratch };
    const argv = [(o.machine ?? X86_64_MACHINE).binary, ...buildQemuArgs({ ...o, sshPort, serial: { file: consoleFile.raw } })];
    const vm = await spawn(argv, sshPort, consoleFile, o);
    // A clash is reported before the guest prints anything: wait for the first byte or the exit,
    // but not forever: a QEMU that does neither is the caller's to time out (its bound runs from startedAt).
    let quiet: NodeJS.Timeout | undefined;
    const early = await Promise.race([
      vm.exited.then((e) => ({ e })),
      vm.firstByte.then(() => undefined),
      new Promise<undefined>((r) => (quiet = setTimeout(() => r(undefined), EARLY_EXIT_WAIT_MS))),
    ]);
    clearTimeout(quiet);
    if (early && isHostForwardClash(early.e.stderr) && attempt < CLASH_ATTEMPTS) {
      log.debug(`port ${sshPort} was taken before QEMU bound it; retrying with another`);
      await vm.closeFiles();
      continue;
    }
    return vm;
  }
}

async function spawn(
  argv: string[],
  sshPort: number | undefined,
  { raw: rawPath, scratch }: { raw: string; scratch: string | undefined },
  o: StartOptions,
): Promise<RunningQemu & { firstByte: Promise<void>; closeFiles(): Promise<void> }> {
  // QEMU appends the console to console.raw itself (see file-tail.ts for why not a pipe).
  const startOffset = await stat(rawPath).then((st) => st.size, () => 0);
  await appendFile(rawPath, '');
  const startedAt = Date.now();
  const [bin, ...args] = argv as [string, ...string[]];
  const child: ResultPromise = execa(bin, args, {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    // stderr (QEMU's own errors) is buffered as text.
    buffer: { stderr: true },
    encoding: 'buffer',
    reject: false,
    // execa kills the child if this process exits for any reason.
    cleanup: true,
    forceKillAfterDelay: 2000,
  });
  const logFile: WriteStream | undefined = o.consoleFiles ? createWriteStream(o.consoleFiles.log, { flags: 'a' }) : undefined;
  const splitter = new LineSplitter();
  const lines: string[] = [];
  let firstConsoleByteAt: number | undefined;
  let resolveFirst!: () => void;
  const firstByte = new Promise<void>((r) => (resolveFirst = r));
  let exitedFlag = false;

  const emit = (line: string): void => {
    lines.push(line);
    // console.log is for reading: terminal control sequences stay in console.raw only.
    logFile?.write(`${formatTimestampedLine(Date.now() - startedAt, stripControl(line))}\n`);
    try {
      o.onLine?.(line);
    } catch (err) {
      log.debug(`console listener failed: ${(err as Error).message}`);
    }
  };
  // Lines are decoded as they come (a UTF-8 sequence may span chunks).
  const decoder = new StringDecoder('utf8');
  const tail = new FileTail(rawPath, startOffset, (chunk) => {
    if (firstConsoleByteAt === undefined) {
      firstConsoleByteAt = Date.now();
      resolveFirst();
    }
    for (const line of splitter.push(decoder.write(chunk))) emit(line);
  });
  await tail.start();
  const closeFiles = async (): Promise<void> => {
    await tail.stop().catch((err: unknown) => log.debug(`reading ${rawPath} failed: ${(err as Error).message}`));
    if (logFile) await new Promise<void>((r) => logFile.end(r));
    if (scratch) await rm(scratch, { recursive: true, force: true });
  };
  const exited: Promise<QemuExit> = child.then(
    async (r) => {
      // The last bytes QEMU wrote are read before the last line is flushed.
      await tail.stop().catch(() => undefined);
      for (const line of splitter.flush()) emit(line);
      exitedFlag = true;
      await closeFiles();
      const stderr = r.stderr ? Buffer.from(r.stderr as Uint8Array).toString('utf8') : '';
      // A spawn failure (no such binary) has no stderr of its own: keep execa's account of it.
      return { code: r.exitCode ?? null, signal: r.signal ?? null, stderr: stderr || (r.failed && r.exitCode === undefined ? (r.shortMessage ?? '') : '') };
    },
    async (err: unknown) => {
      exitedFlag = true;
      await closeFiles();
      return { code: null, signal: null, stderr: (err as Error).message };
    },
  );
  return {
    argv,
    sshPort,
    pid: child.pid,
    startedAt,
    get firstConsoleByteAt() {
      return firstConsoleByteAt;
    },
    lines,
    exited,
    hasExited: () => exitedFlag,
    firstByte,
    closeFiles,
    async stop() {
      if (!exitedFlag) child.kill('SIGTERM');
      return exited;
    },
  };
}
