import type { Command } from 'commander';

/** `iofs demo`: the README's main job. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job: build, pack, boot, test and report on the built-in default')
    .action(async () => {
      process.stdout.write('demo: nothing yet\n');
    });
}
