import { appendFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTail, TAIL_INTERVAL_MS } from './file-tail.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'iofs-tail-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('FileTail', () => {
  it('hands over every byte appended after its start offset, in order, including what is written just before stop', async () => {
    const file = path.join(dir, 'console.raw');
    await writeFile(file, 'from an earlier boot\n');
    const seen: Buffer[] = [];
    const tail = new FileTail(file, 21, (c) => seen.push(c));
    await tail.start();
    await appendFile(file, 'one\n');
    await sleep(TAIL_INTERVAL_MS * 3);
    expect(Buffer.concat(seen).toString()).toBe('one\n');
    const big = 'x'.repeat(200_000);
    await appendFile(file, big);
    await appendFile(file, 'last');
    await tail.stop();
    expect(Buffer.concat(seen).toString()).toBe(`one\n${big}last`);
  });

  it('loses nothing written while the event loop is blocked', async () => {
    const file = path.join(dir, 'console.raw');
    await writeFile(file, '');
    const seen: Buffer[] = [];
    const tail = new FileTail(file, 0, (c) => seen.push(c));
    await tail.start();
    const until = Date.now() + 200;
    let i = 0;
    while (Date.now() < until) appendFileSync(file, `${i++}\n`);
    await tail.stop();
    const lines = Buffer.concat(seen).toString().trimEnd().split('\n');
    expect(lines).toHaveLength(i);
    expect(lines[i - 1]).toBe(String(i - 1));
  });

  it('stops twice without harm', async () => {
    const file = path.join(dir, 'c');
    await writeFile(file, 'a');
    const tail = new FileTail(file, 0, () => undefined);
    await tail.start();
    await tail.stop();
    await expect(tail.stop()).resolves.toBeUndefined();
  });
});
