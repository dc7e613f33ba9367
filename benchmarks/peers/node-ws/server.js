'use strict';
// Node ws echo peer of benchmarks/run.sh (issue 6): echoes every message as it came (text as text, binary as binary),
// with ws's defaults (no pinger: ws has none built in) except maxPayload, raised for the `large` scenario.
// Usage: node server.js [port]. Exits with 3 when bufferutil is not the native addon (ws would silently fall back to
// JavaScript masking, which is not the peer the benchmark means to measure).
const http = require('http');
const bufferutil = require('bufferutil');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 5083);
const native = /\[native code\]/.test(String(bufferutil.mask));
if (!native && process.env.ALLOW_BUFFERUTIL_FALLBACK !== '1') {
  console.error('node-ws: bufferutil fell back to JavaScript (its native addon did not load)');
  process.exit(3);
}

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 8 * 1024 * 1024, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => {
  console.log(`node-ws listening on ws://127.0.0.1:${port}/ws (ws ${require('ws/package.json').version}, bufferutil ${require('bufferutil/package.json').version} ${native ? 'native' : 'FALLBACK'})`);
});
process.on('SIGTERM', () => process.exit(0));
