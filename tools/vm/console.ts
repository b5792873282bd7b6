/**
 * The guest's serial console: line splitting, host timestamps, and pure
 * parsers for what the kernel and our /init print (printk times, IOFS_MARKER
 * lines, panics/oopses/BUGs/warnings with the lines around them).
 */

/** Terminal control sequences SeaBIOS and the kernel emit (clear screen, wrap off…). */
const ANSI_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_]|c)/g;

export function stripControl(line: string): string {
  return line.replace(ANSI_ESCAPE, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/**
 * Splits a byte stream into lines (\n, \r\n; a lone \r is dropped). Feed
 * chunks with `push`; `flush` returns a trailing partial line at the end.
 */
export class LineSplitter {
  private pending = '';

  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const parts = text.split('\n');
    this.pending = parts.pop() ?? '';
    return parts.map((l) => l.replace(/\r+$/, ''));
  }

  flush(): string[] {
    const rest = this.pending.replace(/\r+$/, '');
    this.pending = '';
    return rest ? [rest] : [];
  }
}

/** `[+12.345s] <line>`: host time since QEMU started, for console.log. */
export function formatTimestampedLine(elapsedMs: number, line: string): string {
  return `[+${(elapsedMs / 1000).toFixed(3)}s] ${line}`;
}

const PRINTK_TIME = /^\[\s*(\d+\.\d+)\]\s?(.*)$/;

/** Splits `[    1.708213] Run /init…` into its printk time and message. */
export function splitPrintk(line: string): { time: number | undefined; message: string } {
  const m = PRINTK_TIME.exec(line);
  if (!m) return { time: undefined, message: line };
  return { time: Number(m[1]), message: m[2] ?? '' };
}

/** Did the console show kernel output (as opposed to firmware only)? */
export function isKernelLine(line: string): boolean {
  const clean = stripControl(line);
  return PRINTK_TIME.test(clean) || /Linux version \d/.test(clean);
}

export interface Marker {
  stage: string;
  /** The guest's /proc/uptime at the marker, seconds. */
  uptime?: number;
  fields: Record<string, string>;
}

/** `IOFS_MARKER stage=init uptime=0.83 mem_available_kb=…` → fields; undefined if not a marker. */
export function parseMarker(line: string): Marker | undefined {
  const idx = line.indexOf('IOFS_MARKER ');
  if (idx < 0) return undefined;
  const fields: Record<string, string> = {};
  for (const tok of line.slice(idx + 'IOFS_MARKER '.length).trim().split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq > 0) fields[tok.slice(0, eq)] = tok.slice(eq + 1);
  }
  if (!fields.stage) return undefined;
  // Number('') is 0: an empty or garbled uptime= (a line cut by the console) is no uptime at all.
  const uptime = fields.uptime !== undefined && /^\d+(\.\d+)?$/.test(fields.uptime) ? Number(fields.uptime) : undefined;
  return { stage: fields.stage, uptime, fields };
}

export interface ConsoleFacts {
  /** printk time of "Run /init as init process" (or another init). */
  runInitS?: number;
  /** printk time at which initramfs unpacking started / the initrd memory was freed. */
  unpackStartS?: number;
  unpackEndS?: number;
  /** unpackEndS - unpackStartS when both were seen. */
  unpackS?: number;
  /** "Initramfs unpacking failed: …" message, if any. */
  unpackError?: string;
  markers: Marker[];
}

export function parseConsoleFacts(lines: readonly string[]): ConsoleFacts {
  const facts: ConsoleFacts = { markers: [] };
  for (const raw of lines) {
    const line = stripControl(raw);
    const marker = parseMarker(line);
    if (marker) {
      facts.markers.push(marker);
      continue;
    }
    const { time, message } = splitPrintk(line);
    if (time === undefined) continue;
    if (facts.runInitS === undefined && /^Run \S+ as init process/.test(message)) facts.runInitS = time;
    // 6.x prints "Unpacking initramfs...", older kernels "Trying to unpack rootfs image as initramfs...".
    else if (facts.unpackStartS === undefined && /^(Unpacking initramfs|Trying to unpack rootfs)/.test(message)) {
      facts.unpackStartS = time;
    } else if (facts.unpackEndS === undefined && /^Freeing initrd memory/.test(message)) facts.unpackEndS = time;
    else if (facts.unpackError === undefined && /^Initramfs unpacking failed/.test(message)) facts.unpackError = message;
  }
  if (facts.unpackStartS !== undefined && facts.unpackEndS !== undefined) {
    facts.unpackS = round6(facts.unpackEndS - facts.unpackStartS);
  }
  return facts;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export type PanicKind = 'panic' | 'oops' | 'bug' | 'kasan' | 'ubsan' | 'warning' | 'stack-trace';

/** Signatures of a kernel in trouble, matched at the start of the printk message. */
const PANIC_SIGNATURES: ReadonlyArray<{ kind: PanicKind; re: RegExp }> = [
  { kind: 'panic', re: /^Kernel panic - not syncing/ },
  { kind: 'kasan', re: /^BUG: KASAN:/ },
  { kind: 'bug', re: /^(BUG: |kernel BUG at )/ },
  { kind: 'oops', re: /^(Oops|general protection fault)\b/ },
  { kind: 'ubsan', re: /^UBSAN: / },
  { kind: 'warning', re: /^WARNING: CPU: \d+ PID: \d+ at / },
  { kind: 'stack-trace', re: /^Call Trace:/ },
];

export interface PanicReport {
  kind: PanicKind;
  /** The line that best names what happened (the "Kernel panic - not syncing" line when there is one). */
  line: string;
  /** The first trouble line (where it started: an Oops before the panic it caused). */
  firstLine: string;
  /** Index of the first trouble line in the input. */
  index: number;
  /** Lines around the first trouble line (before, after as asked). */
  context: string[];
}

/**
 * Finds the first sign of a kernel in trouble. The context is taken around
 * the first such line (where the trouble started); the quoted line prefers
 * the panic message, which says why the kernel stopped.
 */
export function findPanic(lines: readonly string[], before = 15, after = 25): PanicReport | undefined {
  let first: { kind: PanicKind; index: number } | undefined;
  let panicLine: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const { message } = splitPrintk(stripControl(lines[i] ?? ''));
    for (const sig of PANIC_SIGNATURES) {
      if (!sig.re.test(message)) continue;
      if (!first) first = { kind: sig.kind, index: i };
      if (sig.kind === 'panic' && panicLine === undefined) panicLine = stripControl(lines[i] ?? '');
      break;
    }
  }
  if (!first) return undefined;
  const firstLine = stripControl(lines[first.index] ?? '');
  return {
    kind: panicLine !== undefined ? 'panic' : first.kind,
    line: panicLine ?? firstLine,
    firstLine,
    index: first.index,
    context: lines.slice(Math.max(0, first.index - before), first.index + after + 1).map(stripControl),
  };
}
