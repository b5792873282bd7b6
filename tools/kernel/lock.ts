/**
 * Advisory file locks so two iofs processes never mutate the same kernel tree
 * or build directory at once. A lock is a file created with O_EXCL holding
 * the owner's pid; a lock whose pid is gone is stale and taken over. A busy
 * lock is WAITED for (with a message naming the holder), because parallel
 * `iofs vm test --jobs N` runs legitimately ask for the same kernel.
 * Reentrant within one chain of calls (build → apply series both take the
 * tree lock); two concurrent chains of one process (`vm test -j2` building
 * the same companion) wait for each other like two processes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { InfraError } from '../common/errors.js';
import { log } from '../common/log.js';

/** Locks this process holds (noteLockChild records children only in those). */
const held = new Set<string>();
/** The locks the current chain of calls holds: taking one of them again is nesting, not a second user. */
const chain = new AsyncLocalStorage<ReadonlySet<string>>();

export interface LockOptions {
  /** Give up after this long (default 60 min: a cold kernel build holds a lock for minutes). */
  timeoutMs?: number;
  pollMs?: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock file path in <cache>/locks for a directory being protected. */
export function lockPathFor(cacheRoot: string, kind: 'tree' | 'build', dir: string): string {
  const abs = path.resolve(dir);
  const digest = createHash('sha256').update(abs).digest('hex').slice(0, 12);
  return path.join(cacheRoot, 'locks', `${kind}-${path.basename(abs)}-${digest}.lock`);
}

export async function withLock<T>(lockFile: string, what: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const mine = chain.getStore();
  if (mine?.has(lockFile)) return fn();
  // Held by another chain of this process: its file names this (live) pid, so acquire() waits as for another process.
  await acquire(lockFile, what, opts);
  held.add(lockFile);
  try {
    return await chain.run(new Set([...(mine ?? []), lockFile]), fn);
  } finally {
    held.delete(lockFile);
    await fs.rm(lockFile, { force: true });
  }
}

async function acquire(lockFile: string, what: string, opts: LockOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60 * 60_000;
  const pollMs = opts.pollMs ?? 1000;
  const start = Date.now();
  await fs.mkdir(path.dirname(lockFile), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      await fs.writeFile(lockFile, JSON.stringify({ pid: process.pid, what, since: new Date().toISOString() }) + '\n', {
        flag: 'wx',
      });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await fs.readFile(lockFile, 'utf8').catch(() => '');
    let pid = 0;
    let children: number[] = [];
    try {
      const owner = JSON.parse(text) as { pid?: unknown; children?: unknown };
      pid = Number(owner.pid) || 0;
      children = Array.isArray(owner.children) ? owner.children.map(Number).filter((n) => n > 0) : [];
    } catch {
      // Written but not yet complete by its owner, or garbage: judge by age below.
    }
    const age = Date.now() - ((await fs.stat(lockFile).catch(() => undefined))?.mtimeMs ?? Date.now());
    // A killed iofs can leave its make running: the lock is live while any of them is.
    const alive = [pid, ...children].some((p) => p > 0 && pidAlive(p));
    if ((pid > 0 && !alive) || (pid === 0 && age > 10_000)) {
      log.warn(`removing stale lock ${lockFile} (owner pid ${pid || 'unknown'} and its children are gone)`);
      await fs.rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() - start > timeoutMs) {
      throw new InfraError(`timed out waiting for the lock on ${what}, held by pid ${pid} (${lockFile})`, {
        hint: 'another iofs process is using it; wait for it or stop it',
      });
    }
    if (!announced) {
      log.info(`waiting for ${what}: in use by iofs pid ${pid} (lock ${lockFile})`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Record a child process (make) in a lock this process holds, so the lock
 * stays live if this process is killed and the child is not.
 */
export async function noteLockChild(lockFile: string, childPid: number | undefined): Promise<void> {
  if (!childPid || !held.has(lockFile)) return;
  const text = await fs.readFile(lockFile, 'utf8');
  const owner = JSON.parse(text) as { children?: number[] };
  owner.children = [...(owner.children ?? []), childPid];
  await fs.writeFile(lockFile, JSON.stringify(owner) + '\n');
}
