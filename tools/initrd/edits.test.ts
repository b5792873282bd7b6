import { describe, expect, it } from 'vitest';
import { applyImageEdits, describeImageEdit, parseImageEdits } from './edits.js';

const image = (): Buffer => Buffer.from('00112233445566778899', 'hex');

describe('parseImageEdits', () => {
  it('accepts every op, offsets as numbers or hex strings', () => {
    const edits = parseImageEdits(
      [
        { op: 'truncate', length: 8192 },
        { op: 'write', offset: '0x400', hex: 'DEADbeef', $comment: 'bad magic' },
        { op: 'flip', offset: 1036, bit: 7 },
        { op: 'fill', offset: 0, length: 4, byte: 255 },
        { op: 'append', length: 16, byte: 0 },
        { op: 'repeat' },
        { op: 'insert', offset: 0, hex: '3037' },
      ],
      'x.json.initrd.edits',
    );
    expect(edits[1]).toEqual({ op: 'write', offset: 1024, hex: 'deadbeef' });
    expect(edits.map(describeImageEdit)).toEqual([
      'truncate to 8192 bytes',
      'write deadbeef at 0x400',
      'flip bit 7 of byte 0x40c',
      'fill 4 bytes at 0x0 with 0xff',
      'append 16 bytes of 0x0',
      'append a copy of the image',
      'insert 2 bytes at 0x0',
    ]);
  });

  it('names the entry and the valid values on bad input', () => {
    expect(() => parseImageEdits({}, 'e')).toThrow(/^e: expected a list of edits, got \{\}/);
    expect(() => parseImageEdits([{ op: 'zap' }], 'e')).toThrow(/^e: \[0\]\.op: unknown edit "zap" \(valid: truncate, write, flip, fill, append, repeat, insert\)/);
    expect(() => parseImageEdits([{ op: 'flip', offset: 1, bit: 8 }], 'e')).toThrow(/^e: \[0\]\.bit: expected an integer 0\.\.7 or "0x…", got 8/);
    expect(() => parseImageEdits([{ op: 'write', offset: 1, hex: 'abc' }], 'e')).toThrow(/^e: \[0\]\.hex: expected an even number of hex digits/);
    expect(() => parseImageEdits([{ op: 'truncate', length: -1 }], 'e')).toThrow(/^e: \[0\]\.length: expected an integer/);
    expect(() => parseImageEdits([{ op: 'truncate', length: 1, offset: 2 }], 'e')).toThrow(/^e: \[0\]: unknown key "offset" \(valid: op, length;/);
  });
});

describe('applyImageEdits', () => {
  it('applies edits in order to a copy', () => {
    const src = image();
    const out = applyImageEdits(src, [
      { op: 'write', offset: 1, hex: 'aabb' },
      { op: 'flip', offset: 0, bit: 0 },
      { op: 'fill', offset: 8, length: 2, byte: 0xee },
      { op: 'truncate', length: 6 },
      { op: 'append', length: 2, byte: 0x7f },
      { op: 'repeat' },
      { op: 'insert', offset: 0, hex: 'c0' },
      { op: 'insert', offset: 17, hex: 'ee' },
    ]);
    expect(out.toString('hex')).toBe('c001aabb3344557f7f01aabb3344557f7fee');
    expect(src.toString('hex')).toBe('00112233445566778899');
  });

  it('refuses edits past the end instead of clipping them', () => {
    expect(() => applyImageEdits(image(), [{ op: 'write', offset: 9, hex: 'aabb' }])).toThrow(/edit 0 \(write aabb at 0x9\): reaches past the end; the image has 10 bytes/);
    expect(() => applyImageEdits(image(), [{ op: 'truncate', length: 4 }, { op: 'flip', offset: 4, bit: 0 }])).toThrow(/edit 1 .*offset past the end; the image has 4 bytes/);
    expect(() => applyImageEdits(image(), [{ op: 'truncate', length: 11 }])).toThrow(/larger size/);
    expect(() => applyImageEdits(image(), [{ op: 'insert', offset: 11, hex: '00' }])).toThrow(/edit 0 \(insert 1 bytes at 0xb\): offset past the end/);
  });
});
