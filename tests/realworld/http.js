// http.js: a node (libuv) HTTP client for the realworld rows (clients.sh).
//   node http.js GET URL OUT    the body to OUT; exit 0 on a complete 200
//   node http.js PUT URL FILE   FILE as the body; exit 0 on 201 or 204
// "Complete": all of Content-Length arrived (res.complete). Exit 1
// otherwise, the reason on stderr. Nothing is bounded here: the caller
// runs it under timeout.
'use strict';
const http = require('http');
const fs = require('fs');
const [method, url, path] = process.argv.slice(2);
if (!['GET', 'PUT'].includes(method) || !url || !path) {
  console.error('usage: node http.js GET|PUT URL FILE');
  process.exit(2);
}
const fail = (why) => { console.error('http.js: ' + why); process.exit(1); };
const onResponse = (res) => {
  res.on('error', (e) => fail('response: ' + e.message));
  res.on('aborted', () => fail('response aborted'));
  if (method === 'PUT') {
    if (res.statusCode !== 201 && res.statusCode !== 204) fail('HTTP ' + res.statusCode);
    res.resume();
    res.on('end', () => process.exit(res.complete ? 0 : 1));
    return;
  }
  if (res.statusCode !== 200) fail('HTTP ' + res.statusCode);
  const file = fs.createWriteStream(path);
  res.pipe(file);
  file.on('finish', () => {
    if (!res.complete) fail('response ended before its Content-Length');
    process.exit(0);
  });
};
if (method === 'GET') {
  http.get(url, onResponse).on('error', (e) => fail('request: ' + e.message));
} else {
  const size = fs.statSync(path).size;
  const req = http.request(url, { method: 'PUT', headers: { 'Content-Length': size } }, onResponse);
  req.on('error', (e) => fail('request: ' + e.message));
  fs.createReadStream(path).pipe(req);
}
