/** Option parsers shared by the vm verbs. */
import { InvalidArgumentError } from 'commander';
import { ACCEL_MODES, type AccelMode } from '../../vm/index.js';

export function parseAccel(value: string): AccelMode {
  if (!(ACCEL_MODES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${ACCEL_MODES.join(', ')}`);
  }
  return value as AccelMode;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number, at least 1');
  return n;
}

export function parseIcount(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 10) throw new InvalidArgumentError('must be 0-10 or "auto"');
  return n;
}
