// Small helpers every benchmark uses: a free loopback port, sample statistics, timing, and the
// main() wrapper (the JSON goes to stdout; an error's stack to stderr and exit code 1).
'use strict';
const net = require('node:net');

/** A TCP port free on 127.0.0.1 at the time of asking. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One decimal place. */
const round1 = (x) => Math.round(x * 10) / 10;

/** The middle sample (the upper one of an even count), as the benches have always reported it. */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median, p90 and minimum of millisecond samples. */
function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median_ms: round1(q(0.5)), p90_ms: round1(q(0.9)), min_ms: round1(s[0]), n: s.length };
}

/** Milliseconds `fn` took, and what it resolved with. */
async function timed(fn) {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
}

/**
 * Run the bench's main(): exit code 0 when it resolves, the stack on stderr and exit code 1 when it
 * fails. No process.exit: main closes what it opened (daemons, servers, agents, children), so node
 * ends by itself; a bench that hangs here has left a handle open.
 */
function runMain(main) {
  main().then(
    () => {
      process.exitCode = 0;
    },
    (e) => {
      process.stderr.write(`${e.stack || e}\n`);
      process.exitCode = 1;
    },
  );
}

module.exports = { freePort, median, round1, runMain, stats, timed };
