import type { Command } from 'commander';
import { buildProgram } from './program.js';

/** The real iofs program with what commander prints (help, usage errors) captured instead of written. */
export function capturedProgram(): { program: Command; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const program = buildProgram();
  const capture = (cmd: Command): void => {
    cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    for (const c of cmd.commands) capture(c);
  };
  capture(program);
  return { program, out: () => out, err: () => err };
}
