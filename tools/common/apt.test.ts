import { describe, expect, it } from 'vitest';
import { parseDeb822Sources, parseOneLineSources, pickArchive, privateSourcesList } from './apt.js';

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

  it('writes a deb-src list for source packages', () => {
    const archive = pickArchive(parseDeb822Sources(deb822), 'bookworm');
    expect(privateSourcesList(archive!, 'bookworm', 'deb-src')).toBe(
      'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian bookworm main\n',
    );
  });
});
