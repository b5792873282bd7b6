import { describe, expect, it } from 'vitest';
import { parseAptShow, upstreamVersion } from './source.js';

describe('kernel source packages', () => {
  it('reads the candidate from apt-cache show, and the upstream version from a Debian one', () => {
    const show = 'Package: linux-source-7.3\nVersion: 7.3.4-1~bpo13+1\nFilename: pool/main/l/linux/linux-source-7.3_7.3.4-1~bpo13+1_all.deb\nSHA256: ' + 'ab'.repeat(32) + '\n\nPackage: linux-source-7.3\nVersion: 7.3.2-1~bpo13+1\n';
    expect(parseAptShow(show)).toEqual({ version: '7.3.4-1~bpo13+1', sha256: 'ab'.repeat(32), filename: 'pool/main/l/linux/linux-source-7.3_7.3.4-1~bpo13+1_all.deb' });
    expect(parseAptShow('Package: x\n')).toBeUndefined();
    expect(upstreamVersion('7.3.4-1~bpo13+1')).toBe('7.3.4');
    expect(upstreamVersion('1:6.12.117-1')).toBe('6.12.117');
  });
});
