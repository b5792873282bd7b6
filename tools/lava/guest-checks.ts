/**
 * A scenario's checks on a LAVA device, whose dispatcher has only the serial
 * console: each check becomes a small /bin/sh script (run in the guest by
 * the console shell that test-vms/guest/init starts with iofs.console=shell)
 * that runs the check's own `run` command as `iofs vm test` does over SSH
 * (cwd /root, stdin /dev/null, the check's timeout), judges it in the guest
 * so LAVA records a pass or fail test case, and prints the command's exact
 * stdout, stderr and exit status, base64-framed, on the console. `iofs lava
 * results` re-judges that output with the workbench's own judgeCheck, so the
 * workbench verdict is the same code as `iofs vm test`'s; the in-guest
 * verdict is what a lab's dashboard shows. Pure.
 */
import { shellQuote } from '../vm/index.js';
import type { Check, ExecResult, Variables } from '../vm/index.js';
import { substitute } from '../vm/index.js';

/** Where the guest keeps the scripts (a tmpfs the checks do not look at). */
export const GUEST_DIR = '/tmp/iofs-lava';
export const RESULT_TAG = 'IOFS_CHECK_RESULT';
const BEGIN = 'IOFS_CHECK_OUTPUT_BEGIN';
const END = 'IOFS_CHECK_OUTPUT_END';
/**
 * Characters of base64 per console command: busybox ash's line editor takes
 * at most 1024 characters a line (FEATURE_EDITING_MAX_LEN) and drops the
 * rest, with the command around it this stays below.
 */
const CHUNK = 768;

/**
 * A JavaScript regex as a POSIX extended one for busybox grep -E (glibc's
 * regcomp, which knows \s \S \w \W \b as extensions); undefined when it uses
 * what ERE cannot say (lookaround, lazy quantifiers, backreferences, \n, \d
 * inside a bracket): that expectation is then judged on the host only.
 */
export function jsRegexToEre(re: string): string | undefined {
  if (/\(\?[=!<]|[*+?}]\?|\\[1-9nrtfvuxck0pP]/.test(re)) return undefined;
  let out = '';
  let inBracket = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i] as string;
    if (c === '\\') {
      const n = re[i + 1] ?? '';
      i++;
      if (inBracket && /[dDsSwW]/.test(n)) return undefined;
      if (n === 'd') out += '[0-9]';
      else if (n === 'D') out += '[^0-9]';
      else out += `\\${n}`;
      continue;
    }
    if (c === '[' && !inBracket) inBracket = true;
    else if (c === ']' && inBracket) inBracket = false;
    else if (c === '(' && re.startsWith('(?:', i)) {
      out += '(';
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

export interface GuestCheck {
  /** 1-based, as in the run directory's checks/NN-… files. */
  index: number;
  name: string;
  /** The LAVA test case name: letters, digits, '-', '_' and '.'. */
  caseName: string;
  /** The script, for the record (the job carries it base64-encoded). */
  script: string;
  /** Console commands that write the script to the guest, then the one that runs it (the LAVA test case). */
  commands: string[];
  /** Expectations the guest could not judge (judged on the host by `iofs lava results`). */
  hostOnly: string[];
}

export function lavaCaseName(index: number, name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  return `${String(index).padStart(2, '0')}-${slug || 'check'}`;
}

function judgeLines(what: 'out' | 'err', e: { contains: string[]; matches: string[]; notMatches: string[] }, hostOnly: string[]): string[] {
  const v = `"$${what}"`;
  const label = what === 'out' ? 'stdout' : 'stderr';
  const lines: string[] = [];
  for (const t of e.contains) lines.push(`case ${v} in *${shellQuote(t)}*) ;; *) ok=0 ;; esac`);
  for (const [list, negate] of [[e.matches, false], [e.notMatches, true]] as const) {
    for (const re of list) {
      const ere = jsRegexToEre(re);
      if (ere === undefined) {
        hostOnly.push(`${label}${negate ? 'NotMatches' : 'Matches'} /${re}/`);
        continue;
      }
      lines.push(`printf '%s\\n' ${v} | grep -Eq -e ${shellQuote(ere)} ${negate ? '&&' : '||'} ok=0`);
    }
  }
  return lines;
}

/** The check as a guest script, with its expectations' variables filled in (so the guest needs none). */
export function guestCheck(index: number, check: Check, vars: Variables, scenarioFile: string): GuestCheck {
  const sub = (t: string, re = false): string => substitute(t, vars, scenarioFile, re);
  const e = check.expect;
  const base = `${GUEST_DIR}/${index}`;
  const hostOnly: string[] = [];
  const script = [
    `# check ${index}: ${check.name.replace(/\n/g, ' ')}`,
    'cd /root 2>/dev/null || cd /',
    `timeout -s KILL ${check.timeoutS} sh -c ${shellQuote(check.run)} </dev/null >${base}.out 2>${base}.err`,
    'rc=$?',
    'out=$(cat ' + `${base}.out)`,
    'err=$(cat ' + `${base}.err)`,
    'ok=1',
    `[ "$rc" = ${e.exitCode} ] || ok=0`,
    ...(e.stdout !== undefined ? [`[ "$out" = ${shellQuote(sub(e.stdout).replace(/\n+$/, ''))} ] || ok=0`] : []),
    ...judgeLines('out', { contains: (e.stdoutContains ?? []).map((t) => sub(t)), matches: (e.stdoutMatches ?? []).map((t) => sub(t, true)), notMatches: (e.stdoutNotMatches ?? []).map((t) => sub(t, true)) }, hostOnly),
    ...judgeLines('err', { contains: (e.stderrContains ?? []).map((t) => sub(t)), matches: (e.stderrMatches ?? []).map((t) => sub(t, true)), notMatches: [] }, hostOnly),
    `echo "${BEGIN} n=${index} rc=$rc"`,
    `base64 ${base}.out`,
    'echo "--"',
    `base64 ${base}.err`,
    `echo "${END} n=${index}"`,
    `if [ $ok = 1 ]; then echo "${RESULT_TAG} n=${index} result=pass"; else echo "${RESULT_TAG} n=${index} result=fail"; fi`,
    '',
  ].join('\n');
  const b64 = Buffer.from(script).toString('base64');
  const commands = [`mkdir -p ${GUEST_DIR}; : >${base}.b64`];
  for (let i = 0; i < b64.length; i += CHUNK) commands.push(`printf %s ${b64.slice(i, i + CHUNK)} >>${base}.b64`);
  commands.push(`base64 -d ${base}.b64 >${base}.sh && sh ${base}.sh`);
  return { index, name: check.name, caseName: lavaCaseName(index, check.name), script, commands, hostOnly };
}

/** The guest's verdict line for check n, as LAVA's interactive test matches it (a Python regex). */
export function resultPattern(index: number, result: 'pass' | 'fail'): string {
  return `${RESULT_TAG} n=${index} result=${result}`;
}

export interface GuestCheckOutput {
  index: number;
  result: ExecResult;
  /** The in-guest verdict (what LAVA recorded), when its line is there. */
  guestVerdict?: 'pass' | 'fail';
}

const B64_LINE = /^[A-Za-z0-9+/=]+$/;

/**
 * The checks' outputs from console lines. Kernel messages that land between
 * the base64 lines are skipped (they are never pure base64).
 */
export function parseGuestOutputs(lines: readonly string[]): Map<number, GuestCheckOutput> {
  const found = new Map<number, GuestCheckOutput>();
  let open: { index: number; rc: number; out: string[]; err: string[]; inErr: boolean } | undefined;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    const begin = new RegExp(`(?:^|\\s)${BEGIN} n=(\\d+) rc=(\\d+)$`).exec(line);
    if (begin) {
      open = { index: Number(begin[1]), rc: Number(begin[2]), out: [], err: [], inErr: false };
      continue;
    }
    const verdict = new RegExp(`^${RESULT_TAG} n=(\\d+) result=(pass|fail)$`).exec(line);
    if (verdict) {
      const f = found.get(Number(verdict[1]));
      if (f) f.guestVerdict = verdict[2] as 'pass' | 'fail';
      continue;
    }
    if (!open) continue;
    if (line === `${END} n=${open.index}`) {
      const decode = (b: string[]): string => Buffer.from(b.join(''), 'base64').toString('utf8');
      found.set(open.index, { index: open.index, result: { stdout: decode(open.out), stderr: decode(open.err), exitCode: open.rc } });
      open = undefined;
    } else if (line === '--') open.inErr = true;
    else if (B64_LINE.test(line)) (open.inErr ? open.err : open.out).push(line);
  }
  return found;
}
