#!/usr/bin/env node
// Launcher for the `iofs` CLI: the workbench is TypeScript run through tsx,
// so there is no build step between editing a tool and running it.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
