/**
 * The device configuration `lava-run` needs on this machine: what a LAVA
 * server renders from its qemu device-type template, written out for one
 * local QEMU (TCG, the workbench's machine and CPU, one CPU, no network: the
 * checks run on the serial console). Pure.
 */
import { buildQemuArgs } from '../vm/index.js';
import type { YamlValue } from './yaml.js';

export interface DeviceOptions {
  memoryMiB: number;
  accel: 'tcg' | 'kvm';
}

/** QEMU options as `iofs vm test` gives them (tools/vm/qemu-args.ts), without kernel, initrd and command line: LAVA adds those from the job. */
export function deviceQemuOptions(o: DeviceOptions): string[] {
  const argv = buildQemuArgs({ kernel: 'K', memoryMiB: o.memoryMiB, accel: o.accel, serial: 'stdio' });
  const options: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === '-kernel' || flag === '-append' || flag === '-serial') {
      i++;
      continue;
    }
    // LAVA joins the options with spaces into one shell-like command line.
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('-')) {
      options.push(`${flag} ${next}`);
      i++;
    } else options.push(flag);
  }
  return options;
}

export function renderDevice(o: DeviceOptions): { [key: string]: YamlValue } {
  return {
    available_architectures: ['x86_64'],
    parameters: {},
    actions: {
      deploy: { methods: { image: { parameters: { guest: { size: 512, interface: 'ide', driveid: 'lavatest' } } } } },
      boot: { connections: { serial: null }, methods: { qemu: { parameters: { command: 'qemu-system-x86_64', options: deviceQemuOptions(o) } } } },
    },
    timeouts: { actions: {}, connections: {} },
    // What LAVA's base device template sets; the dispatcher refuses to run without them.
    constants: {
      'kernel-start-message': 'Linux version [0-9]',
      'shutdown-message': 'The system is going down for reboot NOW',
      'default-shell-prompt': 'lava-test: # ',
      spawn_maxread: '4092',
      failure_retry: 1,
      boot_retry: 1,
      posix: { lava_test_sh_cmd: '/bin/sh', lava_test_results_dir: '/lava-%s', lava_test_shell_file: '~/.bashrc' },
    },
  };
}
