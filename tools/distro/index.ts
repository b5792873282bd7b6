/**
 * The distributions' side of a boot: their own initrd generators
 * (initramfs-tools, dracut) run for a workbench kernel, and the companion
 * fixes to their handover tools (kernel-patches/companions/), built from
 * Debian's source packages.
 */
export { GENERATORS, generateInitrd, generatorCommand, namespaceScript, fixedToolsHook, type Generator, type GenerateOptions, type GeneratorKernel } from './generators.js';
export { buildCompanion, companionSpec, companionsFile, companionsSchema, compileCommand, kconfigCommands, loadCompanions, type CompanionRecord, type CompanionSpec } from './companions.js';
