import { describe, expect, it } from 'vitest';
import { parseAptShow, parseDeb822Sources, parseOneLineSources, pickArchive, privateSourcesList, upstreamVersion } from './source.js';

// A made-up mirror: the point is that the URI comes from the machine's own sources.
const deb822 = `Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Types: deb
Enabled: no
URIs: http://off.example/debian
Suites: bookworm
Components: main
`;

describe('apt sources', () => {
  it('reads deb822 and one-line sources, skipping deb-src and disabled entries', () => {
    const s = parseDeb822Sources(deb822);
    expect(s.map((x) => x.uri)).toEqual(['http://mirror.example/debian', 'http://mirror.example/debian-security']);
    expect(s[0]).toMatchObject({ suites: ['bookworm', 'bookworm-updates'], components: ['main'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg' });
    const l = parseOneLineSources('# x\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main contrib\ndeb-src http://m.example/debian bookworm main\n');
    expect(l).toEqual([{ uri: 'http://m.example/debian', suites: ['bookworm'], components: ['main', 'contrib'], signedBy: '/k.gpg' }]);
  });

  it('picks the archive carrying the release itself and writes a one-suite list for it', () => {
    const archive = pickArchive(parseDeb822Sources(deb822), 'bookworm');
    expect(archive?.uri).toBe('http://mirror.example/debian');
    expect(pickArchive(parseDeb822Sources(deb822), 'trixie')).toBeUndefined();
    expect(privateSourcesList(archive!, 'trixie-backports')).toBe(
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian trixie-backports main\n',
    );
  });

  it('reads the candidate from apt-cache show, and the upstream version from a Debian one', () => {
    const show = 'Package: linux-source-7.3\nVersion: 7.3.4-1~bpo13+1\nFilename: pool/main/l/linux/linux-source-7.3_7.3.4-1~bpo13+1_all.deb\nSHA256: ' + 'ab'.repeat(32) + '\n\nPackage: linux-source-7.3\nVersion: 7.3.2-1~bpo13+1\n';
    expect(parseAptShow(show)).toEqual({ version: '7.3.4-1~bpo13+1', sha256: 'ab'.repeat(32), filename: 'pool/main/l/linux/linux-source-7.3_7.3.4-1~bpo13+1_all.deb' });
    expect(parseAptShow('Package: x\n')).toBeUndefined();
    expect(upstreamVersion('7.3.4-1~bpo13+1')).toBe('7.3.4');
    expect(upstreamVersion('1:6.12.117-1')).toBe('6.12.117');
  });
});
