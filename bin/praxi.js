#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error(
    'praxi: not built yet; run `npm install` (which builds) or `npm run build` in ' + path.dirname(__dirname),
  );
  process.exit(1);
}
require(entry)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
