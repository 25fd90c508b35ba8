// Docker 20.10 (Debian's docker.io) as a multi-node swarm on one computer, the anchor for
// bench/swarm-cluster: each node is a private dockerd in its own network namespace (and UTS
// namespace: its own hostname) on a private bridge in 198.19.251.0/24, with its own data and exec
// roots, containerd namespaces and cgroup parent. stop() removes everything: containers (also of a
// SIGKILLed dockerd, through runc), daemons, containerd and shims, mounts, netns (their iptables
// and docker_gwbridge go with them), the bridge and its forward rule, cgroups, host files.
'use strict';
const { execFile, execFileSync, spawn } = require('node:child_process');
const { existsSync, mkdirSync, rmSync, rmdirSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { join } = require('node:path');
const {
  quiet,
  readSysctl,
  pidsMentioning,
  killRuncContainers,
  unmountUnder,
  removeCgroups,
} = require('../lib/host-cleanup');

const DOCKER = '/usr/bin/docker'; // Debian's 20.10 client (a newer one may sit in /usr/local/bin)
const DOCKERD = '/usr/sbin/dockerd';
const NET = '198.19.251.';
// Files dockerd 20.10 writes outside its roots whatever the flags say.
const HOST_LEFTOVERS = ['/etc/docker/key.json', '/run/docker/plugins', '/run/docker'];
const SYSCTLS = [
  '/proc/sys/net/ipv4/ip_forward',
  '/proc/sys/net/bridge/bridge-nf-call-iptables',
  '/proc/sys/net/bridge/bridge-nf-call-ip6tables',
];
const IPTABLES = ['iptables', 'iptables-legacy'].filter((b) =>
  ['/usr/sbin', '/sbin'].some((d) => existsSync(`${d}/${b}`)),
);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 << 20, ...opts }, (err, stdout, stderr) =>
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
        stdout,
        stderr: stderr || (err && !stdout ? String(err.message) : ''),
      }),
    );
  });
}

function api(socketPath, method, path, timeout = 10_000) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: `/v1.41${path}`, agent: false, timeout }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.trim()}`));
        else resolve(text ? JSON.parse(text) : undefined);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts `count` dockerd nodes under `dir` (short path: containerd's socket path must fit).
 * Returns { nodes, stop }; each node: { name, ip, sock, pid, cli(args), api(method, path), kill() }.
 */
async function startDockerNodes(dir, count, tag) {
  if (!existsSync(DOCKERD) || !existsSync(DOCKER))
    throw new Error(`Docker 20.10 not installed (${DOCKERD}, ${DOCKER}): apt-get install docker.io`);
  const bridge = `fldc${tag}`.slice(0, 10); // + 'v5': interface names are at most 15 bytes
  const preexisting = new Set(HOST_LEFTOVERS.filter((p) => existsSync(p)));
  const sysctls = Object.fromEntries(SYSCTLS.map((p) => [p, readSysctl(p)]));
  const rule = ['FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT'];
  const nodes = [];

  const stop = async () => {
    for (const n of nodes) {
      if (n.daemon.exitCode === null && n.daemon.signalCode === null) {
        // Containers first (dockerd would stop them, but one at a time with a 10 s grace).
        const ctrs = await api(n.sock, 'GET', '/containers/json?all=1').catch(() => []);
        await Promise.all(
          ctrs.map((c) => api(n.sock, 'DELETE', `/containers/${c.Id}?force=1`, 30_000).catch(() => undefined)),
        );
        const exited = new Promise((r) => n.daemon.once('exit', r));
        n.daemon.kill('SIGTERM');
        const t = setTimeout(() => n.daemon.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(t);
      }
      // A SIGKILLed dockerd leaves containerd, shims and containers: runc knows the containers.
      killRuncContainers(join(n.dir, 'exec/runtime-runc', n.ns));
      for (const pid of pidsMentioning(n.dir)) quiet(['kill', '-9', String(pid)]);
    }
    await sleep(200);
    for (const n of nodes) {
      unmountUnder(n.dir);
      quiet(['ip', 'netns', 'del', n.ns]);
      removeCgroups(n.ns);
    }
    quiet(['ip', 'link', 'del', bridge]);
    for (const bin of IPTABLES) while (quiet([bin, '-C', ...rule])) quiet([bin, '-D', ...rule]);
    for (const [p, v] of Object.entries(sysctls)) {
      if (v !== null && readSysctl(p) !== v) {
        try {
          writeFileSync(p, v);
        } catch {
          /* read-only here */
        }
      }
    }
    for (const p of HOST_LEFTOVERS) {
      if (preexisting.has(p)) continue;
      try {
        if (p.endsWith('.json')) rmSync(p);
        else rmdirSync(p);
      } catch {
        /* not there, or in use */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', `${NET}1/24`, 'dev', bridge]);
    execFileSync('ip', ['link', 'set', bridge, 'up']);
    for (const bin of IPTABLES) quiet([bin, '-I', ...rule]);
    for (let i = 0; i < count; i++) {
      const ns = `${bridge}-${i + 1}`;
      const ndir = join(dir, `n${i + 1}`);
      mkdirSync(ndir, { recursive: true });
      const ip = `${NET}${10 + i}`;
      const hostVeth = `${bridge}v${i + 1}`;
      const peer = `${bridge}p${i + 1}`;
      execFileSync('ip', ['netns', 'add', ns]);
      execFileSync('ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', peer]);
      execFileSync('ip', ['link', 'set', peer, 'netns', ns]);
      execFileSync('ip', ['-n', ns, 'link', 'set', peer, 'name', 'eth0']);
      execFileSync('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      // No default route: the nodes only talk among themselves, and anything reaching further
      // (a registry) fails at once instead of waiting for a TCP timeout.
      execFileSync('ip', ['link', 'set', hostVeth, 'master', bridge, 'up']);
      const sock = join(ndir, 'd.sock');
      // nsenter, not `ip netns exec`: its private /sys hides the cgroup mounts from runc.
      // prettier-ignore
      const daemon = spawn('nsenter', [`--net=/run/netns/${ns}`, 'unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', ns,
        DOCKERD, '--data-root', join(ndir, 'data'), '--exec-root', join(ndir, 'exec'), '--pidfile', join(ndir, 'dockerd.pid'),
        '-H', `unix://${sock}`, '--containerd-namespace', ns, '--containerd-plugins-namespace', `${ns}-plugins`,
        '--cgroup-parent', `/${ns}`, '--ip6tables=false'],
        // A swarm task's image is pulled before every start unless this is set (the image is local
        // to every node here, no registry has it); flotilla uses a local image first as well.
        { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' } });
      let tail = '';
      daemon.stderr.on('data', (d) => (tail = (tail + d).slice(-4000)));
      const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, HOME: ndir, DOCKER_CONFIG: join(ndir, 'cfg') };
      const node = {
        name: ns,
        ns,
        ip,
        dir: ndir,
        sock,
        daemon,
        pid: daemon.pid,
        log: () => tail,
        cli: (args) => run(DOCKER, args, { env }),
        api: (method, path) => api(sock, method, path),
        kill: () => process.kill(daemon.pid, 'SIGKILL'),
      };
      nodes.push(node);
    }
    for (const n of nodes) {
      const deadline = Date.now() + 60_000;
      while ((await n.cli(['version'])).code !== 0) {
        if (Date.now() > deadline || n.daemon.exitCode !== null)
          throw new Error(`dockerd ${n.name} did not answer: ${n.log().slice(-800)}`);
        await sleep(200);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { nodes, stop };
}

module.exports = { startDockerNodes };
