// The network side of a machine: the host bridge, a netns per machine and a veth between them.
import { existsSync, readdirSync } from 'node:fs';
import { GATEWAY, HOST_BRIDGE, type MachineState, PREFIX_LEN } from './spec';
import { sh, shQuiet } from './sh';

// With br_netfilter loaded and a FORWARD policy of DROP (as dockerd sets it), traffic between
// two ports of the bridge is dropped unless accepted.
const FORWARD_RULE = ['FORWARD', '-i', HOST_BRIDGE, '-o', HOST_BRIDGE, '-j', 'ACCEPT'];
// dockerd may drop in the legacy tables while the default iptables is nft: the kernel runs both.
const IPTABLES = ['iptables', 'iptables-legacy'].filter((b) =>
  ['/usr/sbin', '/sbin', '/usr/bin'].some((d) => existsSync(`${d}/${b}`)),
);
const hasRule = (bin: string) =>
  sh([bin, '-C', ...FORWARD_RULE]).then(
    () => true,
    () => false,
  );

export const netnsExists = (ns: string): boolean => existsSync(`/run/netns/${ns}`);
export const linkExists = (dev: string): boolean => existsSync(`/sys/class/net/${dev}`);

const exists = (e: unknown) => /File exists/.test((e as Error).message);

async function ensureBridge(): Promise<void> {
  if (!linkExists(HOST_BRIDGE)) {
    // Another `machine create` (another storage dir, a parallel test) may make it at the same time.
    await sh(['ip', 'link', 'add', HOST_BRIDGE, 'type', 'bridge']).catch((e: unknown) => {
      if (!exists(e)) throw e;
    });
    await sh(['ip', 'addr', 'replace', `${GATEWAY}/${PREFIX_LEN}`, 'dev', HOST_BRIDGE]);
    await sh(['ip', 'link', 'set', HOST_BRIDGE, 'up']);
  }
  for (const bin of IPTABLES) if (!(await hasRule(bin))) await sh([bin, '-I', ...FORWARD_RULE]);
}

const peerOf = (m: MachineState) => `flmp${m.index}`;

export class AddressTakenError extends Error {
  constructor(m: MachineState) {
    super(`the address ${m.ip} was taken by another machine meanwhile (${m.hostVeth} exists)`);
    this.name = 'AddressTakenError';
  }
}

/**
 * Creates the machine's veth pair: the kernel refuses a second link of the same name, so this is
 * what atomically claims the machine's address among concurrent `machine create`s (a check of
 * /sys/class/net first would race). Throws AddressTakenError when another machine has it.
 */
export async function claimVeth(m: MachineState): Promise<void> {
  await sh(['ip', 'link', 'add', m.hostVeth, 'type', 'veth', 'peer', 'name', peerOf(m)]).catch((e: unknown) => {
    throw exists(e) ? new AddressTakenError(m) : e;
  });
}

/** Creates what is missing of the machine's network (idempotent: `start` after a reboot). */
export async function ensureNetwork(m: MachineState): Promise<void> {
  await ensureBridge();
  if (!netnsExists(m.netns)) await sh(['ip', 'netns', 'add', m.netns]);
  const inNs = ['ip', '-n', m.netns];
  const peer = peerOf(m);
  if (!linkExists(m.hostVeth)) await claimVeth(m);
  // The pair exists (claimed by createMachine, or just now): its peer still on the host side
  // goes into the machine.
  if (linkExists(peer)) {
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
