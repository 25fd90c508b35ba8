// The network side of a machine: the host bridge, a netns per machine and a veth between them.
import { existsSync, readdirSync } from 'node:fs';
import { GATEWAY, HOST_BRIDGE, type MachineState, PREFIX_LEN } from './spec';
import { sh, shQuiet } from './sh';

// With br_netfilter loaded and a FORWARD policy of DROP (as dockerd sets it), traffic between
// two ports of the bridge is dropped unless accepted.
const FORWARD_RULE = ['FORWARD', '-i', HOST_BRIDGE, '-o', HOST_BRIDGE, '-j', 'ACCEPT'];
// dockerd may drop in the legacy tables while the default iptables is nft: the kernel runs both.
const IPTABLES = ['iptables', 'iptables-legacy'].filter((b) => ['/usr/sbin', '/sbin', '/usr/bin'].some((d) => existsSync(`${d}/${b}`)));
const hasRule = (bin: string) => sh([bin, '-C', ...FORWARD_RULE]).then(() => true, () => false);

export const netnsExists = (ns: string): boolean => existsSync(`/run/netns/${ns}`);
export const linkExists = (dev: string): boolean => existsSync(`/sys/class/net/${dev}`);

async function ensureBridge(): Promise<void> {
  if (!linkExists(HOST_BRIDGE)) {
    await sh(['ip', 'link', 'add', HOST_BRIDGE, 'type', 'bridge']);
    await sh(['ip', 'addr', 'add', `${GATEWAY}/${PREFIX_LEN}`, 'dev', HOST_BRIDGE]);
    await sh(['ip', 'link', 'set', HOST_BRIDGE, 'up']);
  }
  for (const bin of IPTABLES) if (!(await hasRule(bin))) await sh([bin, '-I', ...FORWARD_RULE]);
}

/** Creates what is missing of the machine's network (idempotent: `start` after a reboot). */
export async function ensureNetwork(m: MachineState): Promise<void> {
  await ensureBridge();
  if (!netnsExists(m.netns)) await sh(['ip', 'netns', 'add', m.netns]);
  const inNs = ['ip', '-n', m.netns];
  if (!linkExists(m.hostVeth)) {
    const peer = `flmp${m.index}`;
    await sh(['ip', 'link', 'add', m.hostVeth, 'type', 'veth', 'peer', 'name', peer]);
    await sh(['ip', 'link', 'set', peer, 'netns', m.netns]);
    await sh([...inNs, 'link', 'set', peer, 'name', 'eth0']);
    await sh([...inNs, 'addr', 'add', `${m.ip}/${PREFIX_LEN}`, 'dev', 'eth0']);
    await sh([...inNs, 'link', 'set', 'eth0', 'up']);
    await sh(['ip', 'link', 'set', m.hostVeth, 'master', HOST_BRIDGE, 'up']);
  }
  await sh([...inNs, 'link', 'set', 'lo', 'up']);
  await sh([...inNs, 'route', 'replace', 'default', 'via', GATEWAY]);
}

export async function removeNetwork(m: MachineState): Promise<void> {
  await shQuiet(['ip', 'link', 'del', m.hostVeth]);
  await shQuiet(['ip', 'netns', 'del', m.netns]);
}

/** The bridge (and its forward rule) go with the last machine plugged into it. */
export async function removeBridgeIfUnused(): Promise<void> {
  if (!linkExists(HOST_BRIDGE)) return;
  if (readdirSync(`/sys/class/net/${HOST_BRIDGE}/brif`).length > 0) return;
  await shQuiet(['ip', 'link', 'del', HOST_BRIDGE]);
  for (const bin of IPTABLES) while (await hasRule(bin)) await sh([bin, '-D', ...FORWARD_RULE]);
}
