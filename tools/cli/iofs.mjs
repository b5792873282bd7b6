#!/usr/bin/env node
// Launcher for the `iofs` CLI: the workbench is TypeScript run through tsx,
// so there is no build step between editing a tool and running it.
//
// Everything is found from this file's real location, never from the working
// directory: run through a symlink (npm link puts one in a bin directory),
// Node resolves this file, and with it tsx and node_modules, to the package.
// The package's own tsconfig is named explicitly: by default tsx reads the one
// found from the working directory up, so run from anywhere else (a kernel tree
// under git bisect) our files would be compiled without it.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
await import('./main.ts');
