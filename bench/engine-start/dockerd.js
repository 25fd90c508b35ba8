// A private Docker engine for the benchmark (Debian's docker.io dockerd): temp data root, exec root
// and socket, no iptables rules, and a bridge of its own on 198.19.250.0/24 (removed afterwards)
// so the default-bridge figure costs what docker's does without touching docker0 or host NAT.
'use strict';
const { execFile, execFileSync, spawn } = require('node:child_process');
const {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { delimiter, join } = require('node:path');

function which(name) {
  const dirs = [...(process.env.PATH || '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  return null;
}

// Files dockerd 20.10 writes outside its roots whatever the flags say.
const HOST_LEFTOVERS = ['/etc/docker/key.json', '/run/docker/plugins', '/run/docker'];

function ping(socketPath) {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Start a private dockerd, or return null when dockerd is not installed. */
async function startPrivateDockerd({ timeoutMs = 30_000 } = {}) {
  const dockerd = which('dockerd');
  if (!dockerd) return null;
  const client = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : which('docker');
  if (!client) return null;
  const preexisting = new Set(HOST_LEFTOVERS.filter((p) => existsSync(p)));
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const bridge = `flbdk${process.pid % 100000}`;
  execFileSync('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', '198.19.250.1/24', 'dev', bridge]);
  execFileSync('ip', ['link', 'set', bridge, 'up']);
  writeFileSync(join(dir, 'daemon.json'), '{}');
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  // prettier-ignore
  const proc = spawn(dockerd, [
    '--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'dockerd.pid'), '-H', `unix://${socket}`,
    `--bridge=${bridge}`, '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--ip-forward=false', '--userland-proxy=false',
  ], { stdio: ['ignore', log, log] });
  closeSync(log); // the child has its own copy
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    DOCKER_HOST: `unix://${socket}`,
    DOCKER_BUILDKIT: '0',
    DOCKER_CONFIG: join(dir, 'config'),
  };

  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // containerd and shims of a killed dockerd run from our exec root
    for (const pid of readdirPids()) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] || '')
      .filter((m) => m.startsWith(`${dir}/`))
      .reverse();
    for (const m of mounts) {
      try {
        execFileSync('umount', ['-l', m]);
      } catch {
        /* already gone */
      }
    }
    try {
      execFileSync('ip', ['link', 'del', bridge]);
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
    for (const p of HOST_LEFTOVERS) {
      if (preexisting.has(p)) continue;
      try {
        if (p.endsWith('.json')) rmSync(p);
        else rmdirSync(p); // only when empty: another engine may use it
      } catch {
        /* not there, or in use */
      }
    }
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await ping(socket))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const tail = readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-2000);
      await stop();
      throw new Error(`private dockerd did not start:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const run = (args) =>
    new Promise((resolve, reject) => {
      execFile(client, args, { env, encoding: 'utf8' }, (err, stdout, stderr) =>
        err ? reject(Object.assign(err, { stdout, stderr })) : resolve(stdout),
      );
    });
  const version = (await run(['version', '--format', '{{.Server.Version}}'])).trim();
  return { run, stop, version, bridge };
}

function readdirPids() {
  return require('node:fs')
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)
    .map(Number);
}

module.exports = { startPrivateDockerd };
