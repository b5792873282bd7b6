/**
 * Deterministic benchmark payload: bytes that compress about as well as the
 * content of a real distribution initramfs, so boot-time comparisons between
 * cpio codecs and EROFS are not skewed by unrealistically (in)compressible data.
 *
 * How it is made: a synthetic LZ77 process. A seeded xorshift32 PRNG emits
 * alternating literal runs and back-references (copies of earlier output at a
 * random distance, like repeated code sequences, relocation tables and
 * strings). Literals are drawn from a skewed per-flavour alphabet, which is what
 * gives entropy coders (gzip, zstd) their edge over lz4. Four flavours mirror
 * the mix of a real initramfs (see docs: modules 35 %, shared libraries 35 %,
 * firmware 15 %, /usr/share text 15 %), each with its own literal/match
 * parameters. Back-reference distances are skewed towards near ones (as in
 * real code), which is what lets 4 KiB EROFS clusters compress it at all.
 * Measured on 256 MiB (see test-vms/README.md): gzip -9 2.88x, zstd -15 3.45x,
 * lz4 -l -9 2.62x, mkfs.erofs lz4hc 1.99x; reference initramfs content: 3.03x,
 * 3.56x, 2.60x, 2.03x. gzip is a little low: its edge over lz4 on real data
 * comes from structure this generator does not model.
 *
 * Generation streams in 1 MiB chunks; matches refer back within the current
 * chunk only, so memory is O(chunk) whatever the size.
 */
import { InputError } from '../common/errors.js';

export type PayloadFlavor = 'module' | 'library' | 'firmware' | 'text';

interface FlavorParams {
  /** Share of the payload's bytes. */
  share: number;
  /** File size range in bytes (uniform). */
  minFile: number;
  maxFile: number;
  /** Literal run length range. */
  litMin: number;
  litMax: number;
  /** Match length range. */
  matchMin: number;
  matchMax: number;
  /** Largest back-reference distance. */
  maxDistance: number;
  /** Literal alphabet skew: higher = fewer distinct common symbols. */
  skew: number;
  /** One match in `farEvery` reaches far back (beyond gzip's and lz4's windows, as zstd's does). */
  farEvery: number;
  /** Back-reference distances are maxDistance * u^distSkew: higher = nearer. */
  distSkew: number;
  /** Where the payload puts files of this flavour, and their suffix. */
  dir: string;
  suffix: string;
}

const FLAVORS: Record<PayloadFlavor, FlavorParams> = {
  module: { share: 0.35, minFile: 8 << 10, maxFile: 384 << 10, litMin: 1, litMax: 20, matchMin: 4, matchMax: 56, maxDistance: 32 << 10, skew: 3, farEvery: 6, distSkew: 10, dir: 'lib/modules/kernel/drivers', suffix: '.ko' },
  library: { share: 0.35, minFile: 32 << 10, maxFile: 2 << 20, litMin: 1, litMax: 20, matchMin: 4, matchMax: 56, maxDistance: 32 << 10, skew: 3, farEvery: 6, distSkew: 10, dir: 'usr/lib/x86_64-linux-gnu', suffix: '.so' },
  firmware: { share: 0.15, minFile: 16 << 10, maxFile: 1 << 20, litMin: 2, litMax: 32, matchMin: 4, matchMax: 32, maxDistance: 16 << 10, skew: 1.5, farEvery: 6, distSkew: 8, dir: 'lib/firmware', suffix: '.bin' },
  text: { share: 0.15, minFile: 1 << 10, maxFile: 64 << 10, litMin: 1, litMax: 12, matchMin: 4, matchMax: 40, maxDistance: 32 << 10, skew: 4, farEvery: 6, distSkew: 8, dir: 'usr/share/doc', suffix: '.txt' },
};

export const PAYLOAD_FLAVORS = Object.keys(FLAVORS) as PayloadFlavor[];

const CHUNK = 1 << 20;

/** xorshift32 state; never 0. */
function seedState(seed: number): number {
  let s = (seed ^ 0x9e3779b9) >>> 0;
  // splitmix-style scramble so nearby seeds diverge immediately
  s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
  s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
  s = (s ^ (s >>> 16)) >>> 0;
  return s === 0 ? 1 : s;
}

/** A 4096-entry table of literal bytes; `skew` concentrates it on few symbols. */
function alphabet(flavor: PayloadFlavor): Uint8Array {
  const p = FLAVORS[flavor];
  let s = seedState(0x5eed0000 + PAYLOAD_FLAVORS.indexOf(flavor));
  const table = new Uint8Array(4096);
  // A fixed random permutation of byte values, so "common" symbols differ per flavour.
  const perm = new Uint8Array(256);
  for (let i = 0; i < 256; i++) perm[i] = i;
  for (let i = 255; i > 0; i--) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const j = s % (i + 1);
    const t = perm[i]!; perm[i] = perm[j]!; perm[j] = t;
  }
  if (flavor === 'text') {
    // printable text: letters dominate, then space/newline/punctuation
    const letters = 'etaoinshrdlcumwfgypbvkjxqz';
    for (let i = 0; i < 4096; i++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      const u = (s >>> 8) / (1 << 24);
      const r = Math.pow(u, p.skew);
      table[i] = u > 0.85 ? 0x20 : letters.charCodeAt(Math.floor(r * letters.length));
    }
    return table;
  }
  for (let i = 0; i < 4096; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const u = (s >>> 8) / (1 << 24);
    table[i] = perm[Math.floor(Math.pow(u, p.skew) * 256)]!;
  }
  return table;
}

const ALPHABETS = new Map<PayloadFlavor, Uint8Array>();

/** The deterministic bytes of one payload file, in chunks of at most 1 MiB. */
export function* payloadChunks(seed: number, flavor: PayloadFlavor, size: number): Generator<Buffer> {
  const p = FLAVORS[flavor];
  let table = ALPHABETS.get(flavor);
  if (!table) {
    table = alphabet(flavor);
    ALPHABETS.set(flavor, table);
  }
  let s = seedState(seed);
  let left = size;
  const litSpan = p.litMax - p.litMin + 1;
  const matchSpan = p.matchMax - p.matchMin + 1;
  while (left > 0) {
    const n = Math.min(CHUNK, left);
    const buf = Buffer.allocUnsafe(n);
    let o = 0;
    while (o < n) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      // literal run
      let lit = p.litMin + (s % litSpan);
      if (lit > n - o) lit = n - o;
      for (let k = 0; k < lit; k++) {
        s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
        buf[o++] = table[s & 4095]!;
      }
      if (o >= n) break;
      // back-reference
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      let len = p.matchMin + (s % matchSpan);
      const far = (s >>> 24) % p.farEvery === 0;
      const maxDist = Math.min(o, far ? CHUNK : p.maxDistance);
      if (maxDist < 1) continue;
      if (far) len += len;
      // Near references dominate, as in real code and data (cheap for gzip/zstd, not for lz4).
      const u = (s >>> 8) / (1 << 24);
      const dist = 1 + Math.floor(Math.pow(u, far ? 1 : p.distSkew) * maxDist);
      if (len > n - o) len = n - o;
      if (len <= dist) {
        buf.copyWithin(o, o - dist, o - dist + len);
        o += len;
      } else {
        for (let k = 0; k < len; k++, o++) buf[o] = buf[o - dist]!;
      }
    }
    left -= n;
    yield buf;
  }
}

export interface PayloadFile {
  /** Path relative to the payload directory. */
  rel: string;
  flavor: PayloadFlavor;
  size: number;
  seed: number;
}

/**
 * Split `total` bytes into files of the four flavours, deterministically (the
 * same total always gives the same list). Files go in subdirectories of at
 * most 256 entries, like a real module tree.
 */
export function planPayload(total: number): PayloadFile[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new InputError(`payload size must be a non-negative integer, got ${total}`);
  const files: PayloadFile[] = [];
  let assigned = 0;
  PAYLOAD_FLAVORS.forEach((flavor, fi) => {
    const p = FLAVORS[flavor];
    const budget = fi === PAYLOAD_FLAVORS.length - 1 ? total - assigned : Math.floor(total * p.share);
    assigned += budget;
    let s = seedState(0x7a11 + fi);
    let left = budget;
    let idx = 0;
    while (left > 0) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      const want = p.minFile + (s % (p.maxFile - p.minFile + 1));
      const size = Math.min(want, left);
      const sub = String(Math.floor(idx / 256)).padStart(3, '0');
      const name = `${flavor}-${String(idx).padStart(5, '0')}${p.suffix}`;
      files.push({ rel: `${p.dir}/${sub}/${name}`, flavor, size, seed: (fi << 24) ^ idx });
      left -= size;
      idx++;
    }
  });
  return files;
}

const UNITS: Record<string, number> = { '': 1, B: 1, K: 1 << 10, KB: 1 << 10, KIB: 1 << 10, M: 1 << 20, MB: 1 << 20, MIB: 1 << 20, G: 1 << 30, GB: 1 << 30, GIB: 1 << 30 };

/** "64M", "1G", "512K", "1000" → bytes (binary units: 1M = 1 MiB). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m?.[2]?.toUpperCase() ?? '';
  const factor = UNITS[unit];
  if (!m || factor === undefined) {
    throw new InputError(`invalid size "${text}": use a number with an optional unit K, M or G (binary: 1M = 1048576 bytes), e.g. 64M`);
  }
  return Math.round(Number(m[1]) * factor);
}
