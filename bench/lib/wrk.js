// What the wrk benches share: reading wrk's --latency output, the CPU a set of processes used
// (from /proc, 'self' being this process), and medians over interleaved rounds.
'use strict';
const { readFileSync } = require('node:fs');

const CLK_TCK = Number(process.env.CLK_TCK ?? 100); // getconf CLK_TCK on Linux x86-64

const toMs = (v, unit) => (unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : unit === 'm' ? v * 60000 : v);

/** wrk --latency output: requests, req/s, p50/p99 (ms, 0.01 ms steps), socket errors, non-2xx. */
function parseWrk(out) {
  const p = (q) => {
    const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s|m)\\b`).exec(out);
    return m ? Math.round(toMs(Number(m[1]), m[2]) * 100) / 100 : null;
  };
  return {
    requests: Number(/(\d+) requests in/.exec(out)?.[1]),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50Ms: p(50),
    p99Ms: p(99),
    errors: /Socket errors: (.*)/.exec(out)?.[1] ?? null,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

/** CPU seconds (user + system, all threads) a process has used; 'self' is this process; 0 once it is gone. */
function cpuOf(pid) {
  if (pid === 'self') {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}
const cpuNow = (pids) => pids.reduce((t, p) => t + cpuOf(p), 0);

/** CPU microseconds per request (0.1 us steps); null without requests. */
const perRequestUs = (cpuS, requests) => (requests ? Math.round((cpuS / requests) * 1e7) / 10 : null);

function median(xs) {
  const v = xs.filter((x) => x !== null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/** Rounds of one target: medians of rps, p50, p99 and the `extra` per-round figures; every round's rps; errors. */
function summarize(rs, extra = []) {
  const out = {
    rps: median(rs.map((r) => r.rps)),
    p50Ms: median(rs.map((r) => r.p50Ms)),
    p99Ms: median(rs.map((r) => r.p99Ms)),
  };
  for (const k of extra) out[k] = median(rs.map((r) => r[k]));
  return {
    ...out,
    rounds: rs.map((r) => r.rps),
    errors: rs.map((r) => r.errors).filter(Boolean),
    non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
  };
}

module.exports = { parseWrk, cpuOf, cpuNow, perRequestUs, median, summarize };
