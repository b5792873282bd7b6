/**
 * Logging for humans goes to stderr; stdout is reserved for the result a
 * script consumes (a path, a table, JSON).
 *
 * On a terminal, `progress` rewrites one status line; in CI or when stderr is
 * not a TTY it prints plain lines, throttled, so logs stay readable.
 */
const isTty = Boolean(process.stderr.isTTY) && !process.env.CI;
let quiet = false;
let verbose = Boolean(process.env.IOFS_VERBOSE);
let statusLineActive = false;

export function setQuiet(value: boolean): void {
  quiet = value;
}

export function setVerbose(value: boolean): void {
  verbose = value;
}

function clearStatus(): void {
  if (statusLineActive) {
    process.stderr.write('\r\x1b[K');
    statusLineActive = false;
  }
}

function emit(prefix: string, msg: string): void {
  clearStatus();
  process.stderr.write(`${prefix}${msg}\n`);
}

export const log = {
  info(msg: string): void {
    if (!quiet) emit('', msg);
  },
  step(msg: string): void {
    if (!quiet) emit('==> ', msg);
  },
  debug(msg: string): void {
    if (verbose) emit('  . ', msg);
  },
  warn(msg: string): void {
    emit('warning: ', msg);
  },
  error(msg: string): void {
    emit('error: ', msg);
  },
};

/**
 * A progress reporter for long steps (kernel builds, boots). `update` may be
 * called often; non-TTY output is limited to one line every `plainEveryMs`.
 */
export function progress(label: string, plainEveryMs = 15_000): {
  update(detail: string): void;
  done(detail?: string): void;
} {
  const start = Date.now();
  let lastPlain = 0;
  const elapsed = (): string => `${((Date.now() - start) / 1000).toFixed(0)}s`;
  return {
    update(detail: string) {
      if (quiet) return;
      if (isTty) {
        const line = `${label} [${elapsed()}] ${detail}`;
        const width = process.stderr.columns ?? 100;
        process.stderr.write(`\r\x1b[K${line.slice(0, width - 1)}`);
        statusLineActive = true;
      } else if (Date.now() - lastPlain >= plainEveryMs) {
        lastPlain = Date.now();
        process.stderr.write(`${label} [${elapsed()}] ${detail}\n`);
      }
    },
    done(detail = 'done') {
      if (quiet) return;
      emit('', `${label}: ${detail} (${elapsed()})`);
    },
  };
}
