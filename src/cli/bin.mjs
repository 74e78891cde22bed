#!/usr/bin/env node
// The `tapedeck` executable: registers tsx so Node runs the TypeScript sources, then the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
