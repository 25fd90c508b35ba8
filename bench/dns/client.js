// The load side of bench/dns, in its own process so that it never shares an event loop with the
// server it measures: keeps CONCURRENCY A queries for NAME in flight against HOST:PORT for
// DURATION_MS and prints one JSON line (answered queries per second, latency percentiles).
// Usage: node client.js HOST PORT NAME CONCURRENCY DURATION_MS EXPECTED_ADDRESS
'use strict';
const dgram = require('node:dgram');

const [host, portText, name, concText, durText, expected] = process.argv.slice(2);
const port = Number(portText);
const concurrency = Number(concText);
const duration = Number(durText);
const LOST_MS = 1000;

function query(id) {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}

/** The A record's address of an answer, or '' (the answer must be right, not just fast). */
function answerAddress(msg) {
  if (msg.length < 16 || (msg[3] & 0xf) !== 0 || msg.readUInt16BE(6) < 1) return '';
  return [...msg.subarray(msg.length - 4)].join('.');
}

const sock = dgram.createSocket('udp4');
const inFlight = new Map();
const latencies = [];
let nextId = 1;
let wrong = 0;
let lost = 0;
let stopping = false;
const started = process.hrtime.bigint();

function send() {
  if (stopping) return;
  let id = nextId;
  nextId = (nextId % 65535) + 1;
  while (inFlight.has(id)) id = (id % 65535) + 1;
  inFlight.set(id, process.hrtime.bigint());
  sock.send(query(id), port, host);
}

sock.on('message', (msg) => {
  const id = msg.readUInt16BE(0);
  const t0 = inFlight.get(id);
  if (t0 === undefined) return;
  inFlight.delete(id);
  if (answerAddress(msg) === expected) latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
  else wrong++;
  send();
});

// Lost queries (a full socket buffer) are replaced so the window stays full.
const sweeper = setInterval(() => {
  const now = process.hrtime.bigint();
  for (const [id, t0] of inFlight) {
    if (Number(now - t0) / 1e6 > LOST_MS) {
      inFlight.delete(id);
      lost++;
      send();
    }
  }
}, 200);

sock.bind(0, () => {
  for (let i = 0; i < concurrency; i++) send();
  setTimeout(() => {
    stopping = true;
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sweeper);
    sock.close();
    const s = latencies.sort((a, b) => a - b);
    const q = (p) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]) : null);
    process.stdout.write(
      JSON.stringify({
        qps: Math.round(s.length / secs),
        p50_us: q(0.5),
        p99_us: q(0.99),
        answered: s.length,
        wrong,
        lost,
      }) + '\n',
    );
  }, duration);
});
