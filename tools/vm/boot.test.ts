import { describe, expect, it } from 'vitest';
import { gdbCommand } from './boot.js';

describe('gdbCommand', () => {
  it('takes vmlinux from the build directory of the boot image, trusts its scripts, and targets the stub', () => {
    expect(gdbCommand("/c/builds/7.3-x/arch/x86/boot/bzImage", 4321)).toEqual([
      'gdb', '-q', "'/c/builds/7.3-x/vmlinux'", '-ex', "'add-auto-load-safe-path /c/builds/7.3-x'", '-ex', "'target remote 127.0.0.1:4321'",
    ]);
    expect(gdbCommand("/it's/arch/arm64/boot/Image", 1)[2]).toBe("'/it'\\''s/vmlinux'");
  });
});
