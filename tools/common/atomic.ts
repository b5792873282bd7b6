import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Produce `dest` through a temporary sibling and rename it into place, so an
 * interrupted or failed step never leaves a truncated file (or directory)
 * where a valid one was. `produce` receives the temporary path to write.
 */
export async function withAtomicOutput<T>(dest: string, produce: (tmpPath: string) => Promise<T>): Promise<T> {
  const dir = path.dirname(path.resolve(dest));
  await fs.mkdir(dir, { recursive: true });
  // pid and time alone collide when one process writes the same file twice at once.
  const tmp = path.join(dir, `.${path.basename(dest)}.tmp-${process.pid}-${randomUUID()}`);
  try {
    const result = await produce(tmp);
    const old = await fs.stat(dest).catch(() => undefined);
    if (old?.isDirectory()) {
      // rename(2) cannot replace a non-empty directory: swap it aside first.
      const aside = `${tmp}.old`;
      await fs.rename(dest, aside);
      await fs.rename(tmp, dest);
      await fs.rm(aside, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, dest);
    }
    return result;
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

export async function writeFileAtomic(dest: string, data: string | Uint8Array): Promise<void> {
  await withAtomicOutput(dest, (tmp) => fs.writeFile(tmp, data));
}
