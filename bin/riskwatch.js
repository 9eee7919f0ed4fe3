#!/usr/bin/env node
// Runs the compiled CLI (npm install builds it through the `prepare` script). Imported dynamically
// so that an error raised while the modules load (a broken device catalogue, read once at start)
// is reported like any other: its code and message, not a stack trace.
function fail(err) {
  console.error(err?.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
}

import('../dist/src/cli/index.js').then(({ main }) => main(process.argv.slice(2)).catch(fail), fail);
