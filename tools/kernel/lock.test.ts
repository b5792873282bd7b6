import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { noteLockChild, withLock } from './lock.js';

describe('withLock', () => {
  it('is reentrant within a process, records children and removes the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iofs-lock-'));
    const lock = path.join(dir, 'x.lock');
    const order: string[] = [];
    const first = withLock(lock, 'x', async () => {
      order.push('a-in');
      await withLock(lock, 'x', async () => order.push('a-nested'));
      await noteLockChild(lock, 4242);
      expect(JSON.parse(await readFile(lock, 'utf8')).children).toEqual([4242]);
      await new Promise((r) => setTimeout(r, 200));
      order.push('a-out');
    });
    await first;
    expect(order).toEqual(['a-in', 'a-nested', 'a-out']);
    await expect(readFile(lock, 'utf8')).rejects.toThrow();
  });

  it('makes two concurrent chains of one process take turns, while nesting in one chain does not wait', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iofs-lock-'));
    const lock = path.join(dir, 'c.lock');
    const order: string[] = [];
    const user = (name: string) =>
      withLock(lock, name, async () => {
        order.push(`${name}-in`);
        await withLock(lock, name, async () => order.push(`${name}-nested`));
        await new Promise((r) => setTimeout(r, 150));
        order.push(`${name}-out`);
      }, { pollMs: 20 });
    // As `vm test -j2` builds one companion for two scenarios: the second must not start while the first holds it.
    const a = user('a');
    await new Promise((r) => setTimeout(r, 50)); // b asks while a holds it
    await Promise.all([a, user('b')]);
    expect(order).toEqual(['a-in', 'a-nested', 'a-out', 'b-in', 'b-nested', 'b-out']);
  });

  it('waits for a lock held by a live process and takes over a stale one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iofs-lock-'));
    const lock = path.join(dir, 'y.lock');
    // pid 1 is always alive: held, with a dead child, so we time out waiting.
    await writeFile(lock, JSON.stringify({ pid: 1, children: [999999] }));
    await expect(withLock(lock, 'the thing', async () => 1, { timeoutMs: 100, pollMs: 20 })).rejects.toThrow(
      /timed out waiting for the lock on the thing, held by pid 1/,
    );
    // Owner gone but its make still running (our own pid stands in for it): still live.
    await writeFile(lock, JSON.stringify({ pid: 999999, children: [process.ppid] }));
    await expect(withLock(lock, 'the thing', async () => 1, { timeoutMs: 100, pollMs: 20 })).rejects.toThrow(/timed out/);
    // Owner and children gone: stale, taken over.
    await writeFile(lock, JSON.stringify({ pid: 999999, children: [999998] }));
    expect(await withLock(lock, 'the thing', async () => 7, { timeoutMs: 1000, pollMs: 20 })).toBe(7);
  });
});
