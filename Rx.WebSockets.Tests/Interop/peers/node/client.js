// npm ws as an interop peer: runs the interop scenarios against EchoServer at BASE and prints one JSON line of results.
// Usage: node client.js ws://127.0.0.1:PORT ID
//   ID  names this run's sessions on the server's /interop routes (see InteropServerFixture)
// Messages go to EchoServer's /echo; the server's side of pings and closes is watched on /interop/echo, server fragments
// come from /interop/fragments and a server-initiated close from /interop/close.
'use strict';
const WebSocket = require('ws');
const crypto = require('crypto');
const http = require('http');

const base = new URL(process.argv[2]);
const id = encodeURIComponent(process.argv[3] || 'node');
const results = { peer: 'npm ws ' + require('ws/package.json').version };
const timer = setTimeout(() => { results.error = 'timeout'; finish(1); }, 20000);

function finish(code) {
  clearTimeout(timer);
  process.stdout.write(JSON.stringify(results) + '\n');
  process.exit(code);
}

// Opens a connection (offering permessage-deflate, ws's default) with a promise-based view of its events.
function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const queue = [];
    const waiters = [];
    ws.on('message', (data, isBinary) => {
      const item = { data, isBinary };
      if (waiters.length) waiters.shift()(item); else queue.push(item);
    });
    ws.closed = new Promise((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString('utf8') })));
    ws.next = () => new Promise((res) => { if (queue.length) res(queue.shift()); else waiters.push(res); });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

// GET on the server; resolves with the status code.
function get(path) {
  return new Promise((resolve, reject) => {
    http.get(`http://${base.host}${path}`, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); })
      .on('error', reject);
  });
}

async function echoScenarios() {
  const ws = await connect(`ws://${base.host}/echo`);
  results.extensions = ws.extensions;

  ws.send('hello from ws');
  let m = await ws.next();
  results.text = !m.isBinary && m.data.toString('utf8') === 'hello from ws';

  const bin = Buffer.from([1, 2, 3, 250]);
  ws.send(bin);
  m = await ws.next();
  results.binary = m.isBinary && Buffer.compare(m.data, bin) === 0;

  // A fragmented text message whose fragments split a multi-byte character.
  const parts = [Buffer.from('frag-é', 'utf8'), Buffer.from('-ment', 'utf8')];
  ws.send(parts[0].subarray(0, parts[0].length - 1), { fin: false, binary: false });
  ws.send(Buffer.concat([parts[0].subarray(parts[0].length - 1), parts[1]]), { fin: true, binary: false });
  m = await ws.next();
  results.fragmented = !m.isBinary && m.data.toString('utf8') === 'frag-é-ment';

  const large = crypto.randomBytes(1024 * 1024);
  ws.send(large);
  m = await ws.next();
  results.large = m.isBinary && Buffer.compare(m.data, large) === 0;

  const pingPayload = Buffer.from('ping-42');
  const pong = new Promise((resolve) => ws.once('pong', resolve));
  ws.ping(pingPayload);
  results.ping = Buffer.compare(await pong, pingPayload) === 0;

  ws.close(1000);
  await ws.closed;
}

async function watchedScenarios() {
  const ws = await connect(`ws://${base.host}/interop/echo?id=${id}&ping=100`);
  // ws answers the server's pings by itself; the server says when it has seen one of those pongs.
  results.serverPing = (await get(`/interop/pongs?id=${id}&count=1`)) === 200;

  ws.close(4000, 'bye');
  results.closeFromClient = await ws.closed;
}

async function fragmentsScenario() {
  const ws = await connect(`ws://${base.host}/interop/fragments?id=${id}-fragments`);
  const text = await ws.next();
  const binary = await ws.next();
  results.fragmentedFromServer = !text.isBinary && text.data.toString('utf8') === 'frag-é-ment'
    && binary.isBinary && Buffer.compare(binary.data, Buffer.from([1, 2, 3, 250])) === 0;
  ws.close(1000);
  await ws.closed;
}

async function serverCloseScenario() {
  // The server closes on the first message; ws answers a Close with the same code and reason.
  const ws = await connect(`ws://${base.host}/interop/close?code=4001&reason=server%20bye&id=${id}-server-close`);
  ws.send('close me');
  results.closeFromServer = await ws.closed;
}

(async () => {
  try {
    await echoScenarios();
    await watchedScenarios();
    await fragmentsScenario();
    await serverCloseScenario();
    finish(0);
  } catch (e) {
    results.error = String(e && e.stack || e);
    finish(1);
  }
})();
