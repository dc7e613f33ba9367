// npm ws over TLS: echoes a text and a binary message on wss://HOST:PORT/echo, trusting only the test's certificate
// (the `ca` option), offering ALPN http/1.1, and prints one JSON line of results.
// Usage: node wss_client.js wss://127.0.0.1:PORT/echo CA.pem WS_PEER_FOLDER
//   WS_PEER_FOLDER  the interop suite's node folder, whose node_modules holds the pinned ws.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [url, caFile, wsFolder] = process.argv.slice(2);
const WebSocket = createRequire(path.join(path.resolve(wsFolder), 'package.json'))('ws');
const results = {};
const timer = setTimeout(() => { results.error = 'timeout'; finish(1); }, 20000);

function finish(code) {
  clearTimeout(timer);
  process.stdout.write(JSON.stringify(results) + '\n');
  process.exit(code);
}

const ws = new WebSocket(url, { ca: fs.readFileSync(caFile), ALPNProtocols: ['http/1.1'] });
const queue = [];
const waiters = [];
ws.on('message', (data, isBinary) => {
  const item = { data, isBinary };
  if (waiters.length) waiters.shift()(item); else queue.push(item);
});
const next = () => new Promise((res) => { if (queue.length) res(queue.shift()); else waiters.push(res); });
const closed = new Promise((res) => ws.on('close', (code) => res(code)));
ws.on('error', (e) => { results.error = String(e); finish(1); });

ws.once('open', async () => {
  results.alpn = ws._socket.alpnProtocol;
  results.authorized = ws._socket.authorized;
  ws.send('hello over wss from ws');
  let m = await next();
  results.text = !m.isBinary && m.data.toString('utf8') === 'hello over wss from ws';
  const bin = Buffer.from([1, 2, 3, 250]);
  ws.send(bin);
  m = await next();
  results.binary = m.isBinary && Buffer.compare(m.data, bin) === 0;
  ws.close(1000, 'bye');
  results.close = await closed;
  finish(0);
});
