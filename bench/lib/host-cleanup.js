// Host cleanup for the benches that start private dockerd engines (their Docker anchors): what a
// killed daemon can leave behind (runc containers, mounts, processes, cgroups) and the sysctls it
// changes, so that a bench can put the host back as it found it.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync, readdirSync, rmdirSync } = require('node:fs');
const { join } = require('node:path');

const quiet = (argv) => {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function readSysctl(p) {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
}

function pidsMentioning(dir) {
  const pids = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) pids.push(Number(p));
    } catch {
      /* exited */
    }
  }
  return pids;
}

function killRuncContainers(runcRoot) {
  if (!existsSync(runcRoot)) return;
  let list = [];
  try {
    list =
      JSON.parse(execFileSync('runc', ['--root', runcRoot, 'list', '--format', 'json'], { encoding: 'utf8' })) || [];
  } catch {
    return;
  }
  for (const c of list)
    if (!quiet(['runc', '--root', runcRoot, 'delete', '--force', c.id]) && c.pid) quiet(['kill', '-9', String(c.pid)]);
}

function unmountUnder(dir) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(dir + '/'))
    .sort()
    .reverse();
  for (const m of mounts) quiet(['umount', '-l', m]);
}

function removeCgroups(name) {
  for (const top of [
    join('/sys/fs/cgroup', name),
    ...readdirSync('/sys/fs/cgroup').map((ctl) => join('/sys/fs/cgroup', ctl, name)),
  ]) {
    if (!existsSync(top)) continue;
    const dirs = [];
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
      dirs.push(d);
    };
    try {
      walk(top);
    } catch {
      /* raced */
    }
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch {
        /* busy */
      }
    }
  }
}

module.exports = { quiet, readSysctl, pidsMentioning, killRuncContainers, unmountUnder, removeCgroups };
