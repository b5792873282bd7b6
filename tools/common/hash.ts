/** SHA-256 of files, streamed: images, kernels and sources can be hundreds of MB. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function hashFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { bytes, sha256: h.digest('hex') };
}

export async function sha256File(file: string): Promise<string> {
  return (await hashFile(file)).sha256;
}
