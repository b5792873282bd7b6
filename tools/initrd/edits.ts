/**
 * Byte edits to an image: the small vocabulary shared by corrupted-image
 * scenarios (test-vms/scenarios, `initrd.edits`) and the fuzzer. Edits are
 * plain data so a failing case can be written down, reviewed and replayed.
 * Pure: parsing validates shape, applying validates ranges; both throw
 * InputError naming the edit.
 */
import { InputError } from '../common/errors.js';

export type ImageEdit =
  /** Keep only the first `length` bytes. */
  | { op: 'truncate'; length: number }
  /** Overwrite bytes at `offset` with `hex` (an even number of hex digits). */
  | { op: 'write'; offset: number; hex: string }
  /** XOR one bit (0 = least significant) of the byte at `offset`. */
  | { op: 'flip'; offset: number; bit: number }
  /** Set `length` bytes from `offset` to `byte`. */
  | { op: 'fill'; offset: number; length: number; byte: number }
  /** Add `length` bytes of `byte` at the end. */
  | { op: 'append'; length: number; byte: number };

export const IMAGE_EDIT_OPS = ['truncate', 'write', 'flip', 'fill', 'append'] as const;

const FIELDS: Record<ImageEdit['op'], readonly string[]> = {
  truncate: ['length'],
  write: ['offset', 'hex'],
  flip: ['offset', 'bit'],
  fill: ['offset', 'length', 'byte'],
  append: ['length', 'byte'],
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A byte offset or length: a non-negative integer, or a "0x…" string. */
function count(obj: Record<string, unknown>, key: string, where: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = obj[key];
  let n: number | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) n = v;
  else if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v)) n = Number(v);
  if (n === undefined || n < 0 || n > max) {
    throw new InputError(`${where}.${key}: expected an integer 0..${max} or "0x…" (got ${JSON.stringify(v)})`);
  }
  return n;
}

/** Validate a JSON list of edits; `where` names it in errors (e.g. "x.json.initrd.edits"). */
export function parseImageEdits(value: unknown, where: string): ImageEdit[] {
  if (!Array.isArray(value)) throw new InputError(`${where}: expected a list of edits (got ${JSON.stringify(value)})`);
  return value.map((raw, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(raw)) throw new InputError(`${at}: expected an object like {"op": "truncate", "length": 8192}`);
    const op = raw.op;
    if (typeof op !== 'string' || !(IMAGE_EDIT_OPS as readonly string[]).includes(op)) {
      throw new InputError(`${at}.op: unknown edit ${JSON.stringify(op)}`, { hint: `valid ops: ${IMAGE_EDIT_OPS.join(', ')}` });
    }
    const kind = op as ImageEdit['op'];
    for (const key of Object.keys(raw)) {
      if (key !== 'op' && !key.startsWith('$') && !FIELDS[kind].includes(key)) {
        throw new InputError(`${at}: unknown key "${key}" for op ${kind}`, { hint: `${kind} takes: ${FIELDS[kind].join(', ')}` });
      }
    }
    switch (kind) {
      case 'truncate':
        return { op: kind, length: count(raw, 'length', at) };
      case 'write': {
        const hex = raw.hex;
        if (typeof hex !== 'string' || hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
          throw new InputError(`${at}.hex: expected an even number of hex digits (got ${JSON.stringify(hex)})`);
        }
        return { op: kind, offset: count(raw, 'offset', at), hex: hex.toLowerCase() };
      }
      case 'flip':
        return { op: kind, offset: count(raw, 'offset', at), bit: count(raw, 'bit', at, 7) };
      case 'fill':
        return { op: kind, offset: count(raw, 'offset', at), length: count(raw, 'length', at), byte: count(raw, 'byte', at, 255) };
      case 'append':
        return { op: kind, length: count(raw, 'length', at), byte: count(raw, 'byte', at, 255) };
    }
  });
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** One line saying what an edit does, e.g. "flip bit 3 of byte 0x400". */
export function describeImageEdit(e: ImageEdit): string {
  switch (e.op) {
    case 'truncate':
      return `truncate to ${e.length} bytes`;
    case 'write':
      return `write ${e.hex} at ${hex(e.offset)}`;
    case 'flip':
      return `flip bit ${e.bit} of byte ${hex(e.offset)}`;
    case 'fill':
      return `fill ${e.length} bytes at ${hex(e.offset)} with ${hex(e.byte)}`;
    case 'append':
      return `append ${e.length} bytes of ${hex(e.byte)}`;
  }
}

/**
 * Apply edits in order to a copy of `image`. An edit that reaches past the
 * end of the image as it stands at that point is an error naming it: a
 * silently clipped edit would make a test pass that tested nothing.
 */
export function applyImageEdits(image: Buffer, edits: readonly ImageEdit[]): Buffer {
  let out = Buffer.from(image);
  edits.forEach((e, i) => {
    const fail = (why: string): never => {
      throw new InputError(`edit ${i} (${describeImageEdit(e)}): ${why}; the image has ${out.length} bytes`);
    };
    switch (e.op) {
      case 'truncate':
        if (e.length > out.length) fail('cannot truncate to a larger size (use append)');
        out = out.subarray(0, e.length);
        break;
      case 'write': {
        const bytes = Buffer.from(e.hex, 'hex');
        if (e.offset + bytes.length > out.length) fail('reaches past the end');
        bytes.copy(out, e.offset);
        break;
      }
      case 'flip':
        if (e.offset >= out.length) fail('offset past the end');
        out[e.offset] = (out[e.offset] ?? 0) ^ (1 << e.bit);
        break;
      case 'fill':
        if (e.offset + e.length > out.length) fail('reaches past the end');
        out.fill(e.byte, e.offset, e.offset + e.length);
        break;
      case 'append':
        out = Buffer.concat([out, Buffer.alloc(e.length, e.byte)]);
        break;
    }
  });
  return out;
}
