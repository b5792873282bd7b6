import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { backoffMs, connectSsh, ensureSshKey, shellQuote, SshConnectError } from './ssh.js';

describe('ensureSshKey', () => {
  it('creates one ed25519 key, once, even when many callers race', async () => {
    const dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-key-')), 'keys');
    try {
      const keys = await Promise.all(Array.from({ length: 8 }, () => ensureSshKey(dir)));
      const first = keys[0];
      expect(first?.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
      expect(first?.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ iofs-workbench$/);
      for (const k of keys) expect(k).toEqual(first);
      expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
      expect((await fs.stat(path.join(dir, 'id_ed25519'))).mode & 0o777).toBe(0o600);
      expect((await fs.readFile(path.join(dir, 'id_ed25519.pub'), 'utf8')).trim()).toBe(first?.publicKey);
      expect((await fs.readdir(dir)).sort()).toEqual(['id_ed25519', 'id_ed25519.pub']);
      // Later calls reuse it, and a lost .pub is derived again from the private key.
      await fs.rm(path.join(dir, 'id_ed25519.pub'));
      expect(await ensureSshKey(dir)).toEqual(first);
    } finally {
      await fs.rm(path.dirname(dir), { recursive: true, force: true });
    }
  });
});

describe('shellQuote', () => {
  it('quotes for a POSIX shell', () => {
    expect(shellQuote('/bin/busybox')).toBe(`'/bin/busybox'`);
    expect(shellQuote(`it's $HOME; rm -rf /`)).toBe(`'it'\\''s $HOME; rm -rf /'`);
  });
});

describe('backoffMs', () => {
  it('doubles from 100 ms up to 500 ms', () => {
    expect([1, 2, 3, 4, 9].map(backoffMs)).toEqual([100, 200, 400, 500, 500]);
  });
});

describe('connectSsh', () => {
  it('drops an attempt stuck before the banner when the guest says its sshd listens, and tries again at once', async () => {
    // Like QEMU's user networking before the guest is up: the TCP connection is accepted, and nothing answers.
    const accepted: number[] = [];
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      accepted.push(Date.now());
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const key = await ensureSshKey(await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-key-')));
    const listening = new EventTarget();
    const stop = new AbortController();
    try {
      const attempt = connectSsh({ port, privateKey: key.privateKey, deadline: Date.now() + 20_000, signal: stop.signal, sshdListening: listening }).catch((e: unknown) => e);
      while (accepted.length < 1) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      expect(accepted.length).toBe(1); // the first attempt is still waiting for a banner
      const nudgedAt = Date.now();
      listening.dispatchEvent(new Event('listening'));
      while (accepted.length < 2 && Date.now() - nudgedAt < 3000) await new Promise((r) => setTimeout(r, 10));
      expect(accepted.length).toBe(2);
      expect((accepted[1] as number) - nudgedAt).toBeLessThan(400);
      stop.abort();
      expect(await attempt).toBeInstanceOf(SshConnectError);
    } finally {
      stop.abort();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
