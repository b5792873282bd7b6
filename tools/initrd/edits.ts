/**
 * Byte edits to an image: the small vocabulary shared by corrupted-image
 * scenarios (test-vms/scenarios, `initrd.edits`) and the fuzzer. Edits are
 * plain data so a failing case can be written down, reviewed and replayed.
 * Pure: parsing validates shape, applying validates ranges; both throw
 * InputError naming the edit.
 */
import * as v from 'valibot';
import { InputError } from '../common/errors.js';
import { dataObject, expected, list, parseData, shown } from '../common/schema.js';

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
  | { op: 'append'; length: number; byte: number }
  /** Add a copy of the image, as it stands, at the end (a second image after the first). */
  | { op: 'repeat' }
  /** Insert `hex` before the byte at `offset` (0: in front; the length: at the end), moving the rest up. */
  | { op: 'insert'; offset: number; hex: string };

export const IMAGE_EDIT_OPS = ['truncate', 'write', 'flip', 'fill', 'append', 'repeat', 'insert'] as const;

/** A byte offset or length: a non-negative integer, or a "0x…" string. */
const count = (max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(
    v.custom<number | string>((x) => {
      const n = typeof x === 'number' && Number.isSafeInteger(x) ? x : typeof x === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(x) ? Number(x) : undefined;
      return n !== undefined && n >= 0 && n <= max;
    }, expected(`an integer 0..${max} or "0x…"`)),
    v.transform(Number),
  );

const hexBytes = v.pipe(
  v.custom<string>((x) => typeof x === 'string' && x.length > 0 && x.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(x), expected('an even number of hex digits')),
  v.transform((x) => x.toLowerCase()),
);

const edit = <const Op extends ImageEdit['op'], E extends v.ObjectEntries>(op: Op, fields: E) => dataObject({ op: v.literal(op), ...fields });

/** One edit: the "op" picks which other keys it takes. */
export const imageEditSchema = v.variant(
  'op',
  [
    edit('truncate', { length: count() }),
    edit('write', { offset: count(), hex: hexBytes }),
    edit('flip', { offset: count(), bit: count(7) }),
    edit('fill', { offset: count(), length: count(), byte: count(255) }),
    edit('append', { length: count(), byte: count(255) }),
    edit('repeat', {}),
    edit('insert', { offset: count(), hex: hexBytes }),
  ],
  (issue) =>
    issue.path
      ? `unknown edit ${shown(issue.input)} (valid: ${IMAGE_EDIT_OPS.join(', ')})`
      : `expected an object like {"op": "truncate", "length": 8192}, got ${shown(issue.input)}`,
);

export const imageEditsSchema = list(imageEditSchema, 'a list of edits');

/** Validate a JSON list of edits; `where` names it in errors (e.g. "x.json: initrd.edits"). */
export function parseImageEdits(value: unknown, where: string): ImageEdit[] {
  return parseData(imageEditsSchema, value, where);
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
    case 'repeat':
      return 'append a copy of the image';
    case 'insert':
      return `insert ${e.hex.length / 2} bytes at ${hex(e.offset)}`;
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
      case 'repeat':
        out = Buffer.concat([out, out]);
        break;
      case 'insert':
        if (e.offset > out.length) fail('offset past the end');
        out = Buffer.concat([out.subarray(0, e.offset), Buffer.from(e.hex, 'hex'), out.subarray(e.offset)]);
        break;
    }
  });
  return out;
}
