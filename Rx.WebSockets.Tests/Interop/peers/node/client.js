// npm ws as an interop peer: runs the echo scenario against URL and prints one JSON line of results.
// Usage: node client.js ws://127.0.0.1:PORT/echo
'use strict';
const WebSocket = require('ws');
const crypto = require('crypto');

const url = process.argv[2];
const results = { peer: 'npm ws ' + require('ws/package.json').version };
const timer = setTimeout(() => { results.error = 'timeout'; finish(1); }, 20000);

function finish(code) {
  clearTimeout(timer);
  process.stdout.write(JSON.stringify(results) + '\n');
  process.exit(code);
}

const ws = new WebSocket(url, { perMessageDeflate: false });
const queue = [];
const waiters = [];
ws.on('message', (data, isBinary) => {
  const item = { data, isBinary };
  if (waiters.length) waiters.shift()(item); else queue.push(item);
});
const next = () => new Promise((resolve) => { if (queue.length) resolve(queue.shift()); else waiters.push(resolve); });
ws.on('error', (e) => { results.error = String(e); finish(1); });

ws.on('open', async () => {
  try {
    results.extensions = ws.extensions;
    ws.send('hello from ws');
    let m = await next();
    results.text = !m.isBinary && m.data.toString('utf8') === 'hello from ws';

    const bin = Buffer.from([1, 2, 3, 250]);
    ws.send(bin);
    m = await next();
    results.binary = m.isBinary && Buffer.compare(m.data, bin) === 0;

    // A fragmented text message whose fragments split a multi-byte character.
    const parts = [Buffer.from('frag-é', 'utf8'), Buffer.from('-ment', 'utf8')];
    ws.send(parts[0].subarray(0, parts[0].length - 1), { fin: false, binary: false });
    ws.send(Buffer.concat([parts[0].subarray(parts[0].length - 1), parts[1]]), { fin: true, binary: false });
    m = await next();
    results.fragmented = !m.isBinary && m.data.toString('utf8') === 'frag-é-ment';

    const large = crypto.randomBytes(1024 * 1024);
    ws.send(large);
    m = await next();
    results.large = m.isBinary && Buffer.compare(m.data, large) === 0;

    const pingPayload = Buffer.from('ping-42');
    const pong = new Promise((resolve) => ws.once('pong', resolve));
    ws.ping(pingPayload);
    results.ping = Buffer.compare(await pong, pingPayload) === 0;

    ws.on('close', (code, reason) => {
      results.closeCode = code;
      results.closeReason = reason.toString('utf8');
      finish(0);
    });
    ws.close(4000, 'bye');
  } catch (e) {
    results.error = String(e && e.stack || e);
    finish(1);
  }
});
