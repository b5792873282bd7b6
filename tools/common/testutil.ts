/** Helpers shared by integration tests (not part of the CLI). */
import { promises as fs } from 'node:fs';

/** Processes (make, gcc, ld…) whose working directory is inside `dir`, as "pid cmdline". */
export async function processesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (cwd === dir || cwd.startsWith(`${dir}/`)) out.push(`${pid} ${(await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ')}`);
  }
  return out;
}
