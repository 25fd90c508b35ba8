#!/usr/bin/env node
// bench/peer-fetch: moving an image that only node A has to node B. Anchor: what a user does
// without a registry, `flotilla -H A save IMG | flotilla -H B load`; against it, B's
// fetchImageFromPeers from A's Peer service (gRPC, mutual TLS, loopback). Same image, same run,
// B's copy removed between samples. The image: busybox plus one layer of incompressible data.
// Runs as root; needs a build (`npx tsc -b`). Usage: node bench/peer-fetch/run.js [MiB] [iterations]
'use strict';
const { execFile } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const grpc = require('@grpc/grpc-js');

const ROOT = join(__dirname, '../..');
const engine = require(join(ROOT, 'packages/engine-core/dist/index.js'));
const manager = require(join(ROOT, 'packages/manager/dist/index.js'));
const worker = require(join(ROOT, 'packages/worker/dist/index.js'));
const { makeBusyboxRootfsTar } = require(join(ROOT, 'packages/engine-core/dist/testing/busybox-rootfs.js'));
const { median, round1, runMain, timed } = require('../lib/common');
const BIN = join(ROOT, 'packages/stack-cli/bin/flotilla');
const MIB = Number(process.argv[2] || 80);
const N = Number(process.argv[3] || 3);
const IMAGE = 'bench-peer:1';

function sh(cmd) {
  return new Promise((resolve, reject) =>
    execFile('sh', ['-c', cmd], { encoding: 'utf8', maxBuffer: 16 << 20 }, (e, out, err) =>
      e ? reject(new Error(`${cmd}: ${err || e.message}`)) : resolve(out),
    ),
  );
}

async function startNode(dir, name) {
  let ctx;
  const dataRoot = join(dir, name);
  const host = `unix://${join(dir, `${name}.sock`)}`;
  const daemon = await engine.startDaemon({
    dataRoot,
    host,
    extensions: [async (c) => ((ctx = c), { close: async () => undefined })],
  });
  return { daemon, host, dataRoot, ctx };
}

async function tls(ca, nodeId) {
  const { keyPem, csrPem } = await manager.createNodeKeyAndCsr();
  return {
    caCertPem: ca.certPem,
    keyPem,
    certPem: await ca.issue(csrPem, { nodeId, role: 'swarm-worker', clusterId: 'bench' }),
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-peer-'));
  const nodes = [];
  let server;
  try {
    const a = await startNode(dir, 'a');
    nodes.push(a);
    const b = await startNode(dir, 'b');
    nodes.push(b);
    const { tar } = makeBusyboxRootfsTar(dir);
    await sh(`${process.execPath} ${BIN} -H ${a.host} import ${tar} bench-base:1`);
    const layerDir = a.ctx.images.tempPath('bench');
    mkdirSync(layerDir);
    for (let i = 0; i < MIB / 8; i++) writeFileSync(join(layerDir, `blob${i}.bin`), randomBytes(8 << 20));
    const layer = await a.ctx.images.layers.createFromDir(layerDir);
    const base = await a.ctx.images.resolve('bench-base:1');
    const config = {
      architecture: 'amd64',
      os: 'linux',
      created: new Date().toISOString(),
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [...base.diffIds, layer.diffId] },
    };
    const img = await a.ctx.images.addImage(Buffer.from(JSON.stringify(config)), { tags: [IMAGE] });

    const ca = await manager.RootCA.create();
    const [aTls, bTls] = await Promise.all([tls(ca, 'a'), tls(ca, 'b')]);
    server = new grpc.Server();
    worker.registerPeerServices(server, { images: a.ctx.images, containers: a.ctx.containers, clusterId: 'bench' });
    const port = await new Promise((res, rej) =>
      server.bindAsync('127.0.0.1:0', manager.serverCredentials(aTls), (e, p) => (e ? rej(e) : res(p))),
    );
    const creds = manager.channelCredentials(bTls);

    const removeFromB = async () => {
      await b.ctx.images.remove(IMAGE, { force: true });
      if (b.ctx.images.lookup(IMAGE)) throw new Error('image still on B');
    };
    const saveLoad = [];
    const peer = [];
    for (let i = 0; i < N; i++) {
      saveLoad.push(
        (
          await timed(() =>
            sh(`${process.execPath} ${BIN} -H ${a.host} save ${IMAGE} | ${process.execPath} ${BIN} -H ${b.host} load`),
          )
        ).ms,
      );
      if (b.ctx.images.lookup(IMAGE) !== img.id) throw new Error('save | load did not give B the same image ID');
      await removeFromB();
      peer.push(
        (
          await timed(() =>
            worker.fetchImageFromPeers(IMAGE, {
              peers: [`127.0.0.1:${port}`],
              credentials: creds,
              images: b.ctx.images,
            }),
          )
        ).ms,
      );
      if (b.ctx.images.lookup(IMAGE) !== img.id) throw new Error('peer fetch did not give B the same image ID');
      await removeFromB();
    }
    const result = {
      bench: 'peer-fetch',
      iterations: N,
      image_mib: round1(img.size / 2 ** 20),
      save_load_ms: { median: round1(median(saveLoad)), samples: saveLoad.map(round1) },
      peer_fetch_ms: { median: round1(median(peer)), samples: peer.map(round1) },
      peer_fetch_mib_per_s: round1(img.size / 2 ** 20 / (median(peer) / 1000)),
      speedup_vs_save_load: round1(median(saveLoad) / median(peer)),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    if (server) server.forceShutdown();
    for (const n of nodes.reverse()) {
      await n.daemon.close();
      await engine.purgeDaemonState(n.dataRoot, { removeData: true });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
