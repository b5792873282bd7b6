import { describe, expect, it } from 'vitest';
import { handoverTable, loadHandoverBench, settledMemory, type HandoverBench, type HandoverBoot } from './handover.js';

const bench: HandoverBench = {
  description: 'd', boots: 2, icount: 3, bootTimeoutS: 600,
  rows: [{ name: 'cpio', scenario: 's', append: '', description: '' }, { name: 'erofs', scenario: 's', append: 'x=1', description: '' }],
};

const boot = (row: string, n: number, outcome: string, realInitS: number, memTotalKb: number, memAvailableKb: number): HandoverBoot =>
  ({ row, boot: n, outcome, reason: '', runDir: '/r', realInitS, memTotalKb, memAvailableKb });

describe('handover benchmark', () => {
  it('the committed rows boot Debian\'s image as cpio first, then each backend (inplace also with the digest checked, bdev also through dm-verity)', async () => {
    const b = await loadHandoverBench();
    expect(b.rows.map((r) => r.name)).toEqual(['cpio-zstd', 'erofs-inplace', 'erofs-inplace-sha256', 'erofs-bdev-verity', 'erofs-file', 'erofs-bdev']);
  });

  it('tabulates medians of the passing boots against the first row', () => {
    const table = handoverTable(bench, [
      boot('cpio', 1, 'PASS', 4.0, 500000, 490000), boot('cpio', 2, 'PASS', 4.2, 500000, 490000),
      boot('erofs', 1, 'PASS', 3.0, 500000, 491024), boot('erofs', 2, 'FAIL', 99, 1, 1),
    ]);
    const rows = table.trim().split('\n').slice(2);
    expect(rows[0]).toBe('| cpio | 2/2 | 4.10 | 1.00x | 488.3 | +0.0 | 478.5 | +0.0 |');
    expect(rows[1]).toBe('| erofs | 1/2 | 3.00 | 0.73x | 488.3 | +0.0 | 479.5 | +1.0 |');
  });

  it('reads memory at the real root\'s settled marker, not its first', () => {
    const console = [
      '[+10.5s] [    6.3] Freeing initrd memory: 14912K',
      '[+10.6s] IOFS_MARKER stage=init uptime=6.28 mem_available_kb=487016 mem_total_kb=500732',
      '[+11.4s] IOFS_MARKER stage=sshd uptime=6.51 mem_available_kb=490080 mem_total_kb=506812',
    ].join('\n');
    expect(settledMemory(console)).toEqual({ memTotalKb: 506812, memAvailableKb: 490080 });
    expect(settledMemory('no markers')).toEqual({});
  });

  it('shows a row with no passing boot as dashes', () => {
    const table = handoverTable(bench, [boot('cpio', 1, 'PASS', 4, 500000, 490000), boot('erofs', 1, 'BOOT-TIMEOUT', 0, 0, 0)]);
    expect(table).toContain('| erofs | 0/1 | – | – | – | – | – | – |');
  });
});
