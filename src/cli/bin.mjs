#!/usr/bin/env node
// The `tapedeck` executable from the sources: registers tsx so Node runs the TypeScript, then the CLI.
// `npm run build` makes dist/tapedeck.cjs, the same CLI bundled into one file (and the binary's main).
import { register } from 'tsx/esm/api';

register();
await import('./entry.ts');
