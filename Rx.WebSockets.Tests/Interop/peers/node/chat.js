// npm ws as two members of examples/Chat: alice and bob meet in ROOM, see each other's join, messages and leave, and
// the script prints one JSON line with everything each of them received (the raw JSON text frames) and the Close each
// got back. Usage: node chat.js ws://127.0.0.1:PORT ROOM
'use strict';
const WebSocket = require('ws');

const base = process.argv[2];
const room = process.argv[3];
const results = { peer: 'npm ws ' + require('ws/package.json').version };
const timer = setTimeout(() => { results.error = 'timeout'; finish(1); }, 20000);

function finish(code) {
  clearTimeout(timer);
  process.stdout.write(JSON.stringify(results) + '\n');
  process.exit(code);
}

// Joins the room as nick; every text frame received is kept in results[nick], in order.
function join(nick) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/chat?room=${encodeURIComponent(room)}&nick=${encodeURIComponent(nick)}`);
    const log = results[nick] = [];
    const waiters = [];
    ws.on('message', (data, isBinary) => {
      const text = data.toString('utf8');
      log.push(isBinary ? 'binary:' + text : text);
      const m = JSON.parse(text);
      for (const w of waiters.splice(0)) if (!w(m)) waiters.push(w);
    });
    // Resolves on the first message (already received or still to come) for which check holds.
    ws.until = (check) => new Promise((res) => {
      if (log.some((t) => check(JSON.parse(t)))) { res(); return; }
      waiters.push((m) => { if (check(m)) { res(); return true; } return false; });
    });
    ws.closed = new Promise((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString('utf8') })));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const is = (type, nick, text) => (m) => m.type === type && m.nick === nick && (text === undefined || m.text === text);

(async () => {
  try {
    const alice = await join('alice');
    await alice.until(is('join', 'alice'));
    const bob = await join('bob');
    await Promise.all([alice.until(is('join', 'bob')), bob.until(is('join', 'bob'))]);

    bob.send('hello from bob');
    await Promise.all([alice.until(is('message', 'bob', 'hello from bob')), bob.until(is('message', 'bob', 'hello from bob'))]);
    alice.send('hello from alice');
    await Promise.all([alice.until(is('message', 'alice', 'hello from alice')), bob.until(is('message', 'alice', 'hello from alice'))]);

    bob.close(1000, 'bye');
    results.bobClose = await bob.closed;
    await alice.until(is('leave', 'bob'));
    alice.close(1000, 'bye');
    results.aliceClose = await alice.closed;
    finish(0);
  } catch (e) {
    results.error = String(e && e.stack || e);
    finish(1);
  }
})();
