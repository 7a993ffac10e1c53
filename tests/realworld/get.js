// get.js: a node (libuv) HTTP client for the realworld rows.
//   node get.js URL OUT
// Writes the response body to OUT; exit 0 when the response was 200 and
// complete (all of Content-Length arrived: res.complete), 1 otherwise, with
// the reason on stderr. Node itself bounds nothing here: the caller runs it
// under timeout.
'use strict';
const http = require('http');
const fs = require('fs');
const [url, out] = process.argv.slice(2);
if (!url || !out) { console.error('usage: node get.js URL OUT'); process.exit(2); }
const fail = (why) => { console.error('get.js: ' + why); process.exit(1); };
http.get(url, (res) => {
  if (res.statusCode !== 200) fail('HTTP ' + res.statusCode);
  const file = fs.createWriteStream(out);
  res.on('error', (e) => fail('response: ' + e.message));
  res.on('aborted', () => fail('response aborted'));
  res.pipe(file);
  file.on('finish', () => {
    if (!res.complete) fail('response ended before its Content-Length');
    process.exit(0);
  });
}).on('error', (e) => fail('request: ' + e.message));
