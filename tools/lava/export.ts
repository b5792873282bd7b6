/**
 * `iofs lava export`: for each scenario, its kernel (built as `iofs vm test`
 * builds it, or given), its initrd and disk packed from the same plan, a
 * LAVA job that boots them from the artifacts URL and runs the scenario's
 * checks, and a device configuration for a local `lava-run`; plus jobs.json,
 * what `iofs lava results` needs to judge the logs. Layout, served as is
 * from the URL:
 *   kernels/<sha256[:12]>/bzImage   one per distinct kernel
 *   <scenario>/initrd.<fmt>[.<c>]   <scenario>/disk.…   <scenario>/job.yaml
 *   <scenario>/device.yaml          jobs.json
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import { InputError } from '../common/errors.js';
import { sha256File } from '../common/hash.js';
import { log } from '../common/log.js';
import { buildCompanion } from '../distro/index.js';
import { applyImageEdits, describeImageEdit, packInitrd } from '../initrd/index.js';
import { buildRecordBeside, readBuildRecordIfAny } from '../kernel/index.js';
import {
  buildKernelOnce, digestParameter, expandScenarioArgs, verityParameter, expectedInitrdFiles, inspectKernel, loadScenario, planScenario,
  type ImagePlan, type Scenario, type Variables,
} from '../vm/index.js';
import { renderDevice } from './device.js';
import { renderJob, type LavaArch } from './job.js';
import type { ExportedJob } from './results.js';
import { toYaml } from './yaml.js';

export interface ExportOptions {
  scenarios: string[];
  arch: LavaArch;
  /** Where the output directory will be served from (no trailing slash needed). */
  artifactsUrl: string;
  outDir: string;
  kernelOverride?: string;
  signal?: AbortSignal;
}

export interface ExportResult {
  jobs: ExportedJob[];
  jobsFile: string;
}

interface KernelArtifact {
  bzImage: string;
  release?: string;
  seriesHash?: string;
  relPath: string;
}

const url = (base: string, rel: string): string => `${base.replace(/\/+$/, '')}/${rel.split(path.sep).join('/')}`;

async function exportKernel(s: Scenario, o: ExportOptions, plan: ReturnType<typeof planScenario>): Promise<KernelArtifact> {
  let bzImage: string;
  let release: string | undefined;
  let metadataPath: string;
  if (plan.kernel.kind === 'given') {
    bzImage = plan.kernel.bzImage;
    release = (await inspectKernel(bzImage)).release;
    metadataPath = buildRecordBeside(bzImage);
  } else {
    log.step(`${s.name}: kernel ${plan.kernel.request.base} (${plan.kernel.request.fragments.join(', ')})`);
    const built = await buildKernelOnce(plan.kernel.request, o.signal);
    ({ bzImage, kernelRelease: release, metadataPath } = built);
  }
  const digest = (await sha256File(bzImage)).slice(0, 12);
  const relPath = path.join('kernels', digest, 'bzImage');
  const dest = path.join(o.outDir, relPath);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.copyFile(bzImage, dest);
  const seriesHash = (await readBuildRecordIfAny(metadataPath))?.seriesHash;
  return { bzImage: dest, relPath, ...(release ? { release } : {}), ...(seriesHash !== undefined ? { seriesHash } : {}) };
}

/** Packs (without an SSH key: a lab logs in on the console) or copies an image into the scenario's directory. */
async function exportImage(s: Scenario, what: 'initrd' | 'disk', image: ImagePlan, dir: string, signal?: AbortSignal): Promise<{ file: string; format: string; compress: string }> {
  if (image.kind === 'generate') {
    throw new InputError(`${path.basename(s.file)}: ${what} made by ${image.generator}: \`iofs lava export\` packs manifests and copies given images; a distribution's generator needs the kernel's modules installed here (not exported yet)`);
  }
  if (image.kind === 'image') {
    const file = path.join(dir, `${what}-${path.basename(image.image)}`);
    await fs.copyFile(image.image, file).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`${path.basename(s.file)}: ${what} image ${image.image}: ${err.code ?? err.message}`);
    });
    return { file, format: 'image', compress: 'as given' };
  }
  const replaceFiles: Record<string, string> = {};
  for (const [guest, name] of Object.entries(image.companions ?? {})) replaceFiles[guest] = (await buildCompanion(name)).tool;
  log.step(`${s.name}: packing ${image.pack.format} ${what}`);
  const packed = await packInitrd({ ...image.pack, output: path.join(dir, path.basename(image.pack.output)), replaceFiles, authorizedKeys: [], ...(signal ? { signal } : {}) });
  return { file: packed.output, format: packed.format, compress: packed.compress };
}

async function exportScenario(s: Scenario, o: ExportOptions, kernels: Map<string, Promise<KernelArtifact>>): Promise<ExportedJob> {
  const dir = path.join(o.outDir, s.name);
  await fs.mkdir(dir, { recursive: true });
  const plan = planScenario(s, { runDir: dir, accel: 'tcg', ...(o.kernelOverride ? { kernelOverride: o.kernelOverride } : {}) });
  const kernelKey = JSON.stringify(plan.kernel);
  if (!kernels.has(kernelKey)) kernels.set(kernelKey, exportKernel(s, o, plan));
  const kernel = await (kernels.get(kernelKey) as Promise<KernelArtifact>);
  const initrd = await exportImage(s, 'initrd', plan.initrd, dir, o.signal);
  // As iofs vm test does: the hash tree and the digest of the pristine image, so edits after them are what the kernel must refuse.
  let verity: string | undefined;
  if (plan.initrd.verity) {
    verity = await verityParameter(initrd.file, plan.initrd.verity, o.signal);
    initrd.file = plan.initrd.verity.output;
  }
  const digest = [await digestParameter(plan.initrd.digest, initrd.file, s.name), verity].filter(Boolean).join(' ');
  let initrdFile = initrd.file;
  if (plan.initrd.edits) {
    const edited = applyImageEdits(await fs.readFile(initrd.file), plan.initrd.edits.edits);
    initrdFile = path.join(dir, path.basename(plan.initrd.edits.editedOutput));
    await writeFileAtomic(initrdFile, edited);
    log.step(`${s.name}: edited the initrd: ${plan.initrd.edits.edits.map(describeImageEdit).join('; ')}`);
  }
  const disk = plan.disk ? await exportImage(s, 'disk', plan.disk, dir, o.signal) : undefined;
  const bytes = (await fs.stat(initrdFile)).size;
  const vars: Variables = {
    scalars: {
      initrdSha256: createHash('sha256').update(await fs.readFile(initrdFile)).digest('hex'),
      initrdBytes: String(bytes),
      initrdFormat: initrd.format,
      initrdCompress: initrd.compress,
      ...(kernel.release ? { kernelRelease: kernel.release } : {}),
    },
    hostSha256: Object.fromEntries(await Promise.all(plan.hostFiles.map(async (f) => [f, await sha256File(f)] as const))),
    initrdFiles: await expectedInitrdFiles(plan),
  };
  const artifacts = {
    kernel: url(o.artifactsUrl, kernel.relPath),
    initrd: url(o.artifactsUrl, path.relative(o.outDir, initrdFile)),
    ...(disk ? { disk: url(o.artifactsUrl, path.relative(o.outDir, disk.file)) } : {}),
  };
  const metadata: Record<string, string> = {
    ...(kernel.release ? { 'iofs.kernel_release': kernel.release } : {}),
    ...(kernel.seriesHash ? { 'iofs.patchset_hash': kernel.seriesHash } : {}),
    'iofs.initrd_sha256': vars.scalars.initrdSha256 ?? '',
  };
  const rendered = renderJob({ scenario: { ...s, append: [s.append, digest].filter(Boolean).join(' ') }, arch: o.arch, artifacts, vars, metadata });
  const jobFile = path.join(dir, 'job.yaml');
  await writeFileAtomic(jobFile, `# ${s.name}: ${s.description}\n# Made by \`iofs lava export\`; judge its log with \`iofs lava results\`.\n${toYaml(rendered.job)}`);
  await writeFileAtomic(path.join(dir, 'device.yaml'), `# A local QEMU device for lava-run (a lab uses its own qemu device type).\n${toYaml(renderDevice({ memoryMiB: s.memoryMiB, accel: 'tcg' }))}`);
  return {
    scenario: { name: s.name, file: s.file, description: s.description, checks: s.checks, memoryMiB: s.memoryMiB, bootTimeoutS: s.bootTimeoutS, ...(s.expectBoot ? { expectBoot: s.expectBoot } : {}) },
    jobFile: path.relative(o.outDir, jobFile),
    commandLine: rendered.commandLine,
    artifacts,
    vars,
    ...(kernel.release ? { kernelRelease: kernel.release } : {}),
    ...(kernel.seriesHash !== undefined ? { seriesHash: kernel.seriesHash } : {}),
    hostOnly: Object.fromEntries(rendered.checks.filter((c) => c.hostOnly.length > 0).map((c) => [c.caseName, c.hostOnly])),
  };
}

export const JOBS_FILE = 'jobs.json';

export async function exportLavaJobs(o: ExportOptions): Promise<ExportResult> {
  const names = await expandScenarioArgs(o.scenarios);
  const scenarios = await Promise.all(names.map(loadScenario));
  await fs.mkdir(o.outDir, { recursive: true });
  const kernels = new Map<string, Promise<KernelArtifact>>();
  const jobs: ExportedJob[] = [];
  // One at a time: a kernel build and the packers share the machine's cores.
  for (const s of scenarios) jobs.push(await exportScenario(s, o, kernels));
  const jobsFile = path.join(o.outDir, JOBS_FILE);
  await writeFileAtomic(jobsFile, `${JSON.stringify({ artifactsUrl: o.artifactsUrl, arch: o.arch, jobs }, null, 2)}\n`);
  return { jobs, jobsFile };
}

/** jobs.json of an export directory. */
export async function readExport(dirOrFile: string): Promise<ExportedJob[]> {
  const file = dirOrFile.endsWith('.json') ? dirOrFile : path.join(dirOrFile, JOBS_FILE);
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`${file}: ${err.code ?? err.message}`, { hint: 'give the directory `iofs lava export -o DIR` wrote (it holds jobs.json)' });
  });
  const data = JSON.parse(text) as { jobs?: ExportedJob[] };
  if (!Array.isArray(data.jobs)) throw new InputError(`${file}: no "jobs" list: not written by \`iofs lava export\``);
  return data.jobs;
}
