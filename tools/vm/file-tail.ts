/**
 * Following a file another process appends to (QEMU's serial console).
 *
 * Why a file and not a pipe: QEMU writes the emulated UART one byte at a
 * time, and Node's child stdio "pipes" are socketpairs whose buffer fills
 * after a few hundred such writes. When our event loop is busy for a few
 * milliseconds (another scenario packing, a test worker) QEMU gets EAGAIN,
 * gives up after a few retries and the guest's 8250 driver overwrites the
 * byte: console lines lose characters and a documented message no longer
 * matches (seen in CI under load, reproduced by blocking the event loop for
 * 3 s at boot: a kilobyte of the e820 map vanished). A write to a regular
 * file never fails that way, so QEMU's stdout is the console.raw file and we
 * read it as it grows.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** How often the file is looked at: the granularity of console.log's host timestamps. */
export const TAIL_INTERVAL_MS = 20;
const READ_SIZE = 64 * 1024;

export class FileTail {
  private handle: FileHandle | undefined;
  private offset: number;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(
    private readonly file: string,
    startOffset: number,
    private readonly onChunk: (chunk: Buffer) => void,
  ) {
    this.offset = startOffset;
  }

  /** Starts polling; every new byte reaches onChunk once, in order. */
  async start(): Promise<void> {
    this.handle = await open(this.file, 'r');
    this.timer = setInterval(() => this.poll(), TAIL_INTERVAL_MS);
  }

  /** Reads what is left (the writer has exited), stops polling and closes the file. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
    await this.reading;
    await this.handle?.close();
    this.handle = undefined;
    if (this.failure) throw this.failure;
  }

  private poll(): void {
    // Reads are chained so chunks arrive in file order even when a poll outlasts the interval.
    this.reading = this.reading.then(() => this.readAvailable()).catch((err: unknown) => {
      this.failure ??= err as Error;
    });
  }

  private async readAvailable(): Promise<void> {
    if (!this.handle) return;
    for (;;) {
      const buf = Buffer.alloc(READ_SIZE);
      const { bytesRead } = await this.handle.read(buf, 0, READ_SIZE, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      this.onChunk(buf.subarray(0, bytesRead));
    }
  }
}
