#!/usr/bin/env node
// Runs the compiled CLI (npm install builds it through the `prepare` script).
import { main } from '../dist/src/cli/index.js';

main(process.argv.slice(2)).catch((err) => {
  console.error(err?.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
