/**
 * kernel-patches/robot/robot.json: the configurations the robot builds every
 * patch in. Data a kernel developer edits; checked by the workbench's one
 * schema mechanism, so an error names the file and the key.
 */
import path from 'node:path';
import * as v from 'valibot';
import { kernelPatchesDir } from '../common/paths.js';
import { bool, dataObject, dataRecord, duplicateNames, int, loadJsonFile, must, nonEmptyList, nonEmptyString, oneOf, problems, str } from '../common/schema.js';

export const robotFile = path.join(kernelPatchesDir, 'robot', 'robot.json');
export const robotRecordsDir = path.join(kernelPatchesDir, 'robot', 'records');

const SYMBOL = /^[A-Z0-9_]+$/;
const symbolName = v.pipe(
  v.string(),
  must((k) => SYMBOL.test(k) && !k.startsWith('CONFIG_'), (k) => `${JSON.stringify(k)} is not a Kconfig symbol (upper case, no CONFIG_ prefix)`),
);
// debian: the .config of Debian's linux-headers package for the base (tools/robot/debian-config.ts).
export const STARTS = ['tinyconfig', 'allnoconfig', 'defconfig', 'randconfig', 'debian'] as const;

const configEntry = v.pipe(
  dataObject({
    name: v.pipe(nonEmptyString(), must((s) => /^[a-z0-9][a-z0-9-]*$/.test(s), () => 'a config name is lower-case letters, digits and "-" (it names a directory)')),
    why: nonEmptyString(),
    start: oneOf(STARTS),
    seed: v.optional(int(0, 2 ** 31 - 1)),
    fragments: v.optional(v.array(nonEmptyString(), 'expected a list of fragment names'), []),
    set: v.optional(dataRecord(symbolName, str(), 'an object {"SYMBOL": "y|m|n|<value>"}'), {}),
    warnings: v.optional(bool(), false),
    core: v.optional(bool(), false),
    // An architecture of kernel-patches/arches.json (make ARCH=, a cross compiler when foreign, its fragment replacements).
    arch: v.optional(nonEmptyString()),
  }),
  problems((c) => {
    if (c.start === 'randconfig' && c.seed === undefined) return { path: ['seed'], message: 'randconfig needs a seed, so that a failure can be reproduced' };
    if (c.start !== 'randconfig' && c.seed !== undefined) return { path: ['seed'], message: 'only randconfig takes a seed' };
    return undefined;
  }),
);

const kunitEntry = dataObject({
  why: nonEmptyString(),
  kunitconfig: v.pipe(nonEmptyString(), must((s) => !s.startsWith('/') && !s.split('/').includes('..'), () => 'a directory inside the kernel tree')),
  symbol: symbolName,
  arch: oneOf(['x86_64', 'um', 'arm64']),
});

export const robotFileSchema = v.pipe(
  dataObject({ configs: nonEmptyList(configEntry, 'a non-empty list of configurations'), kunit: v.optional(kunitEntry) }),
  problems((d) => duplicateNames(d.configs, (c) => c.name, 'configurations', ['configs'])),
);

export type RobotConfig = v.InferOutput<typeof configEntry>;

/** Read and check robot.json (default: kernel-patches/robot/robot.json). */
export async function loadRobotConfigs(file = robotFile): Promise<RobotConfig[]> {
  return (await loadJsonFile(robotFileSchema, file)).configs;
}

export type RobotKunit = v.InferOutput<typeof kunitEntry>;

/** The series' KUnit tests as robot.json names them, if it does. */
export async function loadRobotKunit(file = robotFile): Promise<RobotKunit | undefined> {
  return (await loadJsonFile(robotFileSchema, file)).kunit;
}

/** The fragment text of a config's `set` (what merge_config.sh and KCONFIG_ALLCONFIG take). Pure. */
export function setFragment(set: Record<string, string>): string {
  return Object.entries(set)
    .map(([k, val]) => (val === 'n' ? `# CONFIG_${k} is not set` : `CONFIG_${k}=${val}`))
    .join('\n');
}
