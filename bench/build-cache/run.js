#!/usr/bin/env node
// bench/build-cache: a rebuild with a warm layer cache (nothing changed), median of N, through the
// CLI (`flotilla build`, a fresh node process each time) and through the API (/build with the
// context tar), beside a cold build (--no-cache) of the same Dockerfile from the same run.
// Runs as root; needs a build (`npx tsc -b`). Usage: node bench/build-cache/run.js [iterations]
'use strict';
const { execFile } = require('node:child_process');
const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');
const engine = require(join(ROOT, 'packages/engine-core/dist/index.js'));
const { makeBusyboxRootfsTar } = require(join(ROOT, 'packages/engine-core/dist/testing/busybox-rootfs.js'));
const { round1, runMain, stats, timed } = require('../lib/common');
const BIN = join(ROOT, 'packages/stack-cli/bin/flotilla');
const N = Number(process.argv[2] || 15);

const DOCKERFILE = `FROM bench-base:latest
ARG VERSION=1
ENV APP_VERSION=$VERSION
WORKDIR /app
COPY package.json /app/
RUN mkdir -p /app/node_modules && echo installed > /app/node_modules/.stamp
COPY src/ /app/src/
EXPOSE 80
CMD ["sh", "-c", "cat /app/src/index.txt"]
`;

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

function apiBuild(sock, tarBuf, tag) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: sock,
        method: 'POST',
        path: `/v1.41/build?t=${encodeURIComponent(tag)}`,
        headers: { 'Content-Type': 'application/x-tar', 'Content-Length': tarBuf.length },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          res.statusCode >= 400 || text.includes('"error"') ? reject(new Error(text)) : resolve(text),
        );
      },
    );
    req.on('error', reject);
    req.end(tarBuf);
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-build-'));
  const dataRoot = join(dir, 'root');
  const sock = join(dir, 'flotilla.sock');
  const host = `unix://${sock}`;
  let daemon;
  try {
    daemon = await engine.startDaemon({ dataRoot, host });
    const { tar } = makeBusyboxRootfsTar(dir);
    await run(process.execPath, [BIN, '-H', host, 'import', tar, 'bench-base:latest']);
    const ctx = join(dir, 'ctx');
    mkdirSync(join(ctx, 'src'), { recursive: true });
    writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
    writeFileSync(join(ctx, 'package.json'), '{"name":"bench","version":"1.0.0"}\n');
    for (let i = 0; i < 50; i++) writeFileSync(join(ctx, 'src', `file${i}.txt`), `content ${i}\n`.repeat(100));
    writeFileSync(join(ctx, 'src', 'index.txt'), 'Hello World!\n');

    const cold = await timed(() =>
      run(process.execPath, [BIN, '-H', host, 'build', '--no-cache', '-t', 'bench-app:1', ctx]),
    );
    const cliSamples = [];
    for (let i = 0; i < N; i++) {
      const r = await timed(() => run(process.execPath, [BIN, '-H', host, 'build', '-t', 'bench-app:1', ctx]));
      const cached = (r.out.match(/Using cache/g) || []).length;
      if (cached !== 8) throw new Error(`expected 8 cached steps, got ${cached}:\n${r.out}`);
      cliSamples.push(r.ms);
    }
    const tarBuf = await new Promise((resolve, reject) => {
      execFile('tar', ['-C', ctx, '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 64 << 20 }, (err, out) =>
        err ? reject(err) : resolve(out),
      );
    });
    const apiSamples = [];
    for (let i = 0; i < N; i++) apiSamples.push((await timed(() => apiBuild(sock, tarBuf, 'bench-app:1'))).ms);

    const result = {
      bench: 'build-cache',
      iterations: N,
      dockerfile_steps: 9,
      context_files: 52,
      cold_build_ms: round1(cold.ms),
      warm_rebuild_cli: stats(cliSamples),
      warm_rebuild_api: stats(apiSamples),
      goal: 'warm rebuild well under a second',
      met: stats(cliSamples).median_ms < 1000,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    if (daemon) await daemon.close();
    await engine.purgeDaemonState(dataRoot, { removeData: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
