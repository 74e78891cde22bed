#!/usr/bin/env node
// The `tapedeck` command from the TypeScript sources, for tests and development: registers tsx so Node runs
// the TypeScript, then the CLI. What users run is the bundle, dist/tapedeck.cjs (`npm run build`, also run by
// `npm install`): package.json's bin, `npm start`, the Docker image and the single executable.
import { register } from 'tsx/esm/api';

register();
await import('./entry.ts');
