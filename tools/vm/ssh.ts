/**
 * SSH into the guest with ssh2: a per-workspace ed25519 key, connection with
 * retries until a deadline (stopping at once when QEMU exits), commands with
 * stdout/stderr/exit status, and copying a file out (dropbear has no SFTP
 * server, so the file is streamed through `cat`).
 */
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import ssh2, { type Client, type ClientChannel } from 'ssh2';
import { randomUUID } from 'node:crypto';
import { withAtomicOutput } from '../common/atomic.js';
import { IofsError } from '../common/errors.js';
import { cacheDir } from '../common/paths.js';
import type { ExecResult } from './checks.js';

// ssh2 is CommonJS: its named exports are only reachable through the default export under ESM.
const { utils } = ssh2;

export interface SshKey {
  privateKeyPath: string;
  publicKeyPath: string;
  privateKey: string;
  /** One OpenSSH authorized_keys line. */
  publicKey: string;
}

export function defaultKeyDir(): string {
  return path.join(cacheDir(), 'keys');
}

function publicLineOf(privateKey: string, comment: string): string {
  const parsed = utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new IofsError(`the workspace SSH key cannot be parsed: ${key instanceof Error ? key.message : 'empty'}`);
  return `${key.type} ${key.getPublicSSH().toString('base64')} ${comment}`;
}

/**
 * The workspace key, created once. Safe when several processes race: each
 * writes a complete key to a private temporary file and link(2)s it into
 * place, which fails if another got there first; everyone then uses the one
 * that won. The .pub file is derived from the private key, never the source.
 */
export async function ensureSshKey(dir = defaultKeyDir()): Promise<SshKey> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  const privateKeyPath = path.join(dir, 'id_ed25519');
  const publicKeyPath = `${privateKeyPath}.pub`;
  let privateKey = await fs.readFile(privateKeyPath, 'utf8').catch(() => undefined);
  if (privateKey === undefined) {
    const pair = utils.generateKeyPairSync('ed25519', { comment: 'iofs-workbench' });
    const tmp = path.join(dir, `.id_ed25519.tmp-${randomUUID()}`);
    await fs.writeFile(tmp, pair.private, { mode: 0o600, flag: 'wx' });
    try {
      await fs.link(tmp, privateKeyPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
    privateKey = await fs.readFile(privateKeyPath, 'utf8');
  }
  const publicKey = publicLineOf(privateKey, 'iofs-workbench');
  const existingPub = await fs.readFile(publicKeyPath, 'utf8').catch(() => undefined);
  if (existingPub?.trim() !== publicKey) {
    // Not writeFileAtomic: its temporary name (pid + ms) collides between concurrent callers in one process.
    const tmp = path.join(dir, `.id_ed25519.pub.tmp-${randomUUID()}`);
    await fs.writeFile(tmp, `${publicKey}\n`, { mode: 0o644 });
    await fs.rename(tmp, publicKeyPath);
  }
  return { privateKeyPath, publicKeyPath, privateKey, publicKey };
}

/** POSIX shell single-quoting, for paths put into remote commands. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface ConnectOptions {
  port: number;
  privateKey: string;
  /** Give up at this Date.now(). */
  deadline: number;
  /** Aborted when QEMU exits or a panic is seen: stop retrying at once. */
  signal?: AbortSignal;
  user?: string;
  /** Called before each attempt (for progress). */
  onAttempt?: (attempt: number, lastError: string | undefined) => void;
  /**
   * Fires a `listening` event when the guest says its sshd listens (our
   * guest's console marker): an attempt still waiting then is dropped and a
   * new one made at once. An attempt made before the guest's network was up
   * can hang in QEMU's user networking for seconds while SYNs are retried.
   */
  sshdListening?: EventTarget;
}

export class SshConnectError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly aborted: boolean,
  ) {
    super(message);
    this.name = 'SshConnectError';
  }
}

/**
 * Backoff between attempts: 100 ms doubling to 500 ms. The cap is low on
 * purpose: wall time to SSH is a measurement, and a refused attempt costs
 * nothing but a loopback connection.
 */
export function backoffMs(attempt: number): number {
  return Math.min(500, 100 * 2 ** Math.max(0, attempt - 1));
}

/** Why an attempt was dropped when the guest said its sshd listens: retried at once. */
const NUDGED = 'dropped: the guest says its sshd listens now';

function connectOnce(o: ConnectOptions, readyTimeoutMs: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const stop = (why: string) => (): void => {
      cleanup();
      client.destroy();
      reject(new Error(why));
    };
    const onAbort = stop('aborted');
    const onNudge = stop(NUDGED);
    const cleanup = (): void => {
      o.signal?.removeEventListener('abort', onAbort);
      o.sshdListening?.removeEventListener('listening', onNudge);
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    o.sshdListening?.addEventListener('listening', onNudge, { once: true });
    client
      .on('ready', () => {
        cleanup();
        resolve(client);
      })
      .on('error', (err) => {
        cleanup();
        client.destroy();
        reject(err);
      })
      .connect({
        host: '127.0.0.1',
        port: o.port,
        username: o.user ?? 'root',
        privateKey: o.privateKey,
        readyTimeout: readyTimeoutMs,
        // The guest is ephemeral, its host key generated at boot, and reachable
        // only through our loopback forward: there is nothing to verify it against.
        hostVerifier: () => true,
        keepaliveInterval: 0,
      });
  });
}

/** ssh2's words when the server rejected every key we offered. */
const AUTH_REFUSED = /All configured authentication methods failed/i;
/** A refusal repeated this often is final (the first may race a half-started sshd). */
const AUTH_REFUSALS_FINAL = 3;

/**
 * Connects, retrying with backoff: QEMU's user networking accepts the TCP
 * connection before the guest's sshd listens, so early attempts are reset.
 */
export async function connectSsh(o: ConnectOptions): Promise<SshSession> {
  let lastError: string | undefined;
  let refusals = 0;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new SshConnectError('aborted', attempt - 1, true);
    const remaining = o.deadline - Date.now();
    if (remaining <= 0) {
      throw new SshConnectError(`no SSH after ${attempt - 1} attempts${lastError ? ` (last: ${lastError})` : ''}`, attempt - 1, false);
    }
    o.onAttempt?.(attempt, lastError);
    try {
      return new SshSession(await connectOnce(o, Math.max(1000, Math.min(10_000, remaining))));
    } catch (err) {
      if (o.signal?.aborted) throw new SshConnectError('aborted', attempt, true);
      lastError = (err as Error).message;
      if (lastError === NUDGED) continue;
      // sshd answered and said no: waiting longer changes nothing (the key is in the image or not).
      refusals = AUTH_REFUSED.test(lastError) ? refusals + 1 : 0;
      if (refusals >= AUTH_REFUSALS_FINAL) {
        throw new SshConnectError(
          `the guest's sshd refused the key ${refusals} times (${lastError}): was the initrd packed with the workspace key (iofs initrd pack --authorized-key)?`,
          attempt,
          false,
        );
      }
    }
    const wait = Math.min(backoffMs(attempt), Math.max(0, o.deadline - Date.now()));
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, wait);
      function done(): void {
        clearTimeout(t);
        o.signal?.removeEventListener('abort', done);
        resolve();
      }
      o.signal?.addEventListener('abort', done, { once: true });
    });
  }
}

export class SshSession {
  constructor(private readonly client: Client) {}

  private channel(cmd: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.exec(cmd, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  /** Runs `cmd` with the guest's shell; times out (closing the channel) after timeoutMs. */
  async exec(cmd: string, timeoutMs = 30_000): Promise<ExecResult & { timedOut: boolean }> {
    const stream = await this.channel(cmd);
    return new Promise((resolve) => {
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let exitCode: number | null = null;
      let signal: string | undefined;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        stream.close();
      }, timeoutMs);
      stream.on('data', (d: Buffer) => out.push(d));
      stream.stderr.on('data', (d: Buffer) => errOut.push(d));
      stream.on('exit', (code: number | null, sig?: string) => {
        exitCode = typeof code === 'number' ? code : null;
        if (sig) signal = sig;
      });
      stream.on('close', () => {
        clearTimeout(timer);
        const r: ExecResult & { timedOut: boolean } = {
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(errOut).toString('utf8'),
          exitCode,
          timedOut,
        };
        if (signal) r.signal = signal;
        resolve(r);
      });
    });
  }

  /** Copies a guest file to `localPath` (atomically) by streaming `cat` over an exec channel. */
  async copyOut(remotePath: string, localPath: string): Promise<{ bytes: number }> {
    return withAtomicOutput(localPath, async (tmp) => {
      const stream = await this.channel(`cat -- ${shellQuote(remotePath)}`);
      const errOut: Buffer[] = [];
      let exitCode: number | null = null;
      let bytes = 0;
      stream.stderr.on('data', (d: Buffer) => errOut.push(d));
      stream.on('exit', (code: number | null) => (exitCode = typeof code === 'number' ? code : null));
      stream.on('data', (d: Buffer) => (bytes += d.length));
      // The exit status can arrive after the data's EOF: wait for the channel to close.
      const closed = new Promise<void>((r) => stream.once('close', () => r()));
      await pipeline(stream, createWriteStream(tmp));
      await closed;
      if (exitCode !== 0) {
        throw new IofsError(`copying ${remotePath} out of the guest failed (exit ${exitCode}): ${Buffer.concat(errOut).toString().trim()}`);
      }
      return { bytes };
    });
  }

  close(): void {
    this.client.end();
  }
}
