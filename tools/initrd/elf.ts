/**
 * Shared-library closure of ELF executables, computed by reading ELF headers
 * (never by running ldd or the binary: the target may be for another machine,
 * and executing it to inspect it is a bad habit).
 *
 * Mirrors glibc's ld.so search: PT_INTERP; DT_NEEDED breadth-first; for each
 * name, DT_RPATH (of the requester, then the executable; only when the
 * requester has no DT_RUNPATH), DT_RUNPATH, the ld.so.conf directories (what
 * ld.so.cache holds), then the default directories. $ORIGIN is expanded.
 * LD_LIBRARY_PATH is deliberately ignored: the guest does not inherit the
 * packer's environment. A name already loaded (by DT_SONAME, e.g. the
 * interpreter's ld-linux-x86-64.so.2) is not searched again, as in ld.so.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';

export interface ElfInfo {
  bits: 32 | 64;
  littleEndian: boolean;
  machine: number;
  /** PT_INTERP: the dynamic loader path; absent for static executables. */
  interp: string | undefined;
  needed: string[];
  soname: string | undefined;
  rpath: string[];
  runpath: string[];
}

const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
const DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_SONAME = 14, DT_RPATH = 15, DT_RUNPATH = 29;

/** Parse an ELF file's dynamic-linking facts; `undefined` when the file is not ELF. */
export function parseElf(buf: Buffer, what = 'ELF file'): ElfInfo | undefined {
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const cls = buf[4], data = buf[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) throw new InputError(`${what}: unsupported ELF class ${cls} / data encoding ${data}`);
  const le = data === 1, b64 = cls === 2;
  const bad = (why: string): never => {
    throw new InputError(`${what}: malformed ELF (${why})`);
  };
  const u16 = (o: number): number => (o + 2 <= buf.length ? (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o)) : bad(`read past end at ${o}`));
  const u32 = (o: number): number => (o + 4 <= buf.length ? (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o)) : bad(`read past end at ${o}`));
  const u64 = (o: number): number => {
    if (o + 8 > buf.length) bad(`read past end at ${o}`);
    const v = le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) return bad(`value too large at ${o}`);
    return Number(v);
  };
  const word = b64 ? u64 : u32;
  const machine = u16(18);
  const phoff = word(b64 ? 32 : 28);
  const phentsize = u16(b64 ? 54 : 42);
  const phnum = u16(b64 ? 56 : 44);
  interface Ph { type: number; offset: number; vaddr: number; filesz: number }
  const phs: Ph[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    phs.push(
      b64
        ? { type: u32(o), offset: u64(o + 8), vaddr: u64(o + 16), filesz: u64(o + 32) }
        : { type: u32(o), offset: u32(o + 4), vaddr: u32(o + 8), filesz: u32(o + 16) },
    );
  }
  const cstr = (o: number): string => {
    const end = buf.indexOf(0, o);
    if (o >= buf.length || end < 0) bad(`unterminated string at ${o}`);
    return buf.toString('utf8', o, end);
  };
  const info: ElfInfo = { bits: b64 ? 64 : 32, littleEndian: le, machine, interp: undefined, needed: [], soname: undefined, rpath: [], runpath: [] };
  const interp = phs.find((p) => p.type === PT_INTERP);
  if (interp) info.interp = cstr(interp.offset);
  const dyn = phs.find((p) => p.type === PT_DYNAMIC);
  if (!dyn) return info;
  const entries: Array<[number, number]> = [];
  const entSize = b64 ? 16 : 8;
  for (let o = dyn.offset; o + entSize <= dyn.offset + dyn.filesz; o += entSize) {
    const tag = word(o);
    if (tag === DT_NULL) break;
    entries.push([tag, word(o + (b64 ? 8 : 4))]);
  }
  const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
  if (strtabAddr === undefined) return info;
  const load = phs.find((p) => p.type === PT_LOAD && strtabAddr >= p.vaddr && strtabAddr < p.vaddr + p.filesz);
  if (!load) bad('DT_STRTAB outside every PT_LOAD segment');
  const strtab = load!.offset + (strtabAddr - load!.vaddr);
  for (const [tag, val] of entries) {
    if (tag === DT_NEEDED) info.needed.push(cstr(strtab + val));
    else if (tag === DT_SONAME) info.soname = cstr(strtab + val);
    else if (tag === DT_RPATH) info.rpath.push(...cstr(strtab + val).split(':').filter(Boolean));
    else if (tag === DT_RUNPATH) info.runpath.push(...cstr(strtab + val).split(':').filter(Boolean));
  }
  return info;
}

export async function readElf(file: string): Promise<ElfInfo | undefined> {
  return parseElf(await fs.readFile(file), file);
}

/** glibc's built-in directories for x86_64 Debian (multiarch first). */
export const DEFAULT_LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

/**
 * Another architecture's userland, unpacked from Debian packages under
 * `root` (see sysroot.ts): binaries and libraries are read there, paths stay
 * the guest's. `multiarch` is the Debian triplet, e.g. aarch64-linux-gnu.
 */
export interface Sysroot {
  root: string;
  multiarch: string;
}

/** glibc's built-in directories for a Debian multiarch triplet (only x86_64 adds lib64). Pure. */
export function defaultLibDirs(multiarch: string): string[] {
  if (multiarch === 'x86_64-linux-gnu') return DEFAULT_LIB_DIRS;
  return [`/lib/${multiarch}`, `/usr/lib/${multiarch}`, '/lib', '/usr/lib'];
}

/** Where guest path `p` is read on the host: under the sysroot, or the host path itself. Pure. */
export function hostPathOf(p: string, sysroot?: Sysroot): string {
  return sysroot ? path.join(sysroot.root, p) : p;
}

/**
 * realpath of guest path `p` inside a sysroot: absolute symlink targets
 * (Debian's packages have some) resolve against the sysroot, never the host.
 * Without a sysroot, fs.realpath.
 */
export async function guestRealpath(p: string, sysroot?: Sysroot): Promise<string> {
  if (!sysroot) return fs.realpath(p);
  let done = '/';
  const todo = p.split('/').filter(Boolean);
  for (let hops = 0; todo.length > 0; ) {
    const name = todo.shift() as string;
    if (name === '.') continue;
    if (name === '..') {
      done = path.dirname(done);
      continue;
    }
    const next = path.join(done, name);
    const st = await fs.lstat(hostPathOf(next, sysroot));
    if (!st.isSymbolicLink()) {
      done = next;
      continue;
    }
    if (++hops > 40) throw new InputError(`${p}: too many levels of symbolic links in ${sysroot.root}`);
    const target = await fs.readlink(hostPathOf(next, sysroot));
    todo.unshift(...target.split('/').filter(Boolean));
    if (target.startsWith('/')) done = '/';
  }
  return done;
}

/** Directories listed by /etc/ld.so.conf and its `include`s, in order. */
export async function ldSoConfDirs(confPath = '/etc/ld.so.conf', seen = new Set<string>()): Promise<string[]> {
  if (seen.has(confPath)) return [];
  seen.add(confPath);
  let text: string;
  try {
    text = await fs.readFile(confPath, 'utf8');
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    if (!line) continue;
    const inc = /^include\s+(.+)$/.exec(line);
    if (inc) {
      for (const pattern of inc[1]!.split(/\s+/)) {
        const abs = path.resolve(path.dirname(confPath), pattern);
        for (const f of await globLastComponent(abs)) dirs.push(...(await ldSoConfDirs(f, seen)));
      }
    } else if (!line.startsWith('hwcap ')) {
      dirs.push(...line.split(/[:,\s]+/).filter(Boolean));
    }
  }
  return dirs;
}

/** A sysroot's ld.so.conf directories (its packages' /etc/ld.so.conf.d/*.conf when it has no ld.so.conf). */
async function ldSoConfDirsIn(sysroot: Sysroot): Promise<string[]> {
  const etc = path.join(sysroot.root, 'etc');
  const files = existsSync(path.join(etc, 'ld.so.conf')) ? [path.join(etc, 'ld.so.conf')] : await globLastComponent(path.join(etc, 'ld.so.conf.d', '*.conf'));
  const dirs: string[] = [];
  // Its includes name guest paths: read them under the sysroot.
  for (const f of files) for (const d of await ldSoConfDirs(f)) dirs.push(d.startsWith(sysroot.root) ? d.slice(sysroot.root.length) : d);
  return dirs;
}

/** `*` and `?` in the last path component only: what ld.so.conf includes use in practice. */
async function globLastComponent(pattern: string): Promise<string[]> {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!/[*?[]/.test(base)) return [pattern];
  const re = new RegExp('^' + base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => re.test(n)).sort().map((n) => path.join(dir, n));
}

export interface LibraryClosure {
  /** The executable itself. */
  binary: string;
  /** PT_INTERP as written in the binary (e.g. /lib64/ld-linux-x86-64.so.2). */
  interpreter: string | undefined;
  /** Every library loaded, as ld.so would find it, in load (breadth-first) order. */
  libraries: Array<{ name: string; path: string; neededBy: string }>;
}

/**
 * Compute what ld.so would load for `binary`. Throws InputError naming the
 * missing library. With a sysroot, `binary` and every path in the result
 * are guest paths, read under the sysroot (its own ld.so.conf and triplet).
 */
export async function libraryClosure(binary: string, searchDirs?: string[], sysroot?: Sysroot): Promise<LibraryClosure> {
  const at = (p: string): string => hostPathOf(p, sysroot);
  const multiarch = sysroot?.multiarch ?? 'x86_64-linux-gnu';
  const confDirs = sysroot ? await ldSoConfDirsIn(sysroot) : await ldSoConfDirs();
  const systemDirs = searchDirs ?? [...confDirs, ...defaultLibDirs(multiarch)];
  const exe = await readElf(at(binary));
  const result: LibraryClosure = { binary, interpreter: undefined, libraries: [] };
  if (!exe) return result;
  const loadedNames = new Set<string>();
  if (exe.interp) {
    result.interpreter = exe.interp;
    const li = await readElf(at(exe.interp)).catch(() => undefined);
    loadedNames.add(path.basename(exe.interp));
    if (li?.soname) loadedNames.add(li.soname);
  }
  const exeOrigin = path.dirname(await guestRealpath(binary, sysroot));
  const queue: Array<{ file: string; info: ElfInfo; origin: string }> = [{ file: binary, info: exe, origin: exeOrigin }];
  const expand = (dirs: string[], origin: string): string[] =>
    dirs.map((d) => d.replace(/\$\{ORIGIN\}|\$ORIGIN/g, origin).replace(/\$\{LIB\}|\$LIB/g, `lib/${multiarch}`).replace(/\$\{PLATFORM\}|\$PLATFORM/g, multiarch.split('-')[0] as string));
  while (queue.length > 0) {
    const obj = queue.shift()!;
    for (const name of obj.info.needed) {
      if (loadedNames.has(name)) continue;
      let candidates: string[];
      if (name.includes('/')) {
        candidates = [path.resolve(obj.origin, name)];
      } else {
        const dirs: string[] = [];
        if (obj.info.runpath.length === 0) {
          dirs.push(...expand(obj.info.rpath, obj.origin));
          if (obj.file !== binary && exe.runpath.length === 0) dirs.push(...expand(exe.rpath, exeOrigin));
        }
        dirs.push(...expand(obj.info.runpath, obj.origin), ...systemDirs);
        candidates = dirs.map((d) => path.join(d, name));
      }
      let found: { file: string; info: ElfInfo } | undefined;
      for (const c of candidates) {
        const info = await readElf(at(c)).catch(() => undefined);
        // ld.so skips a library of the wrong class or machine and keeps searching.
        if (info && info.bits === exe.bits && info.machine === exe.machine) {
          found = { file: c, info };
          break;
        }
      }
      if (!found) {
        throw new InputError(`${binary}: needs ${name} (required by ${obj.file}), not found in: ${[...new Set(candidates.map(path.dirname))].join(', ')}`);
      }
      loadedNames.add(name);
      if (found.info.soname) loadedNames.add(found.info.soname);
      result.libraries.push({ name, path: found.file, neededBy: obj.file });
      queue.push({ file: found.file, info: found.info, origin: path.dirname(await guestRealpath(found.file, sysroot)) });
    }
  }
  return result;
}
