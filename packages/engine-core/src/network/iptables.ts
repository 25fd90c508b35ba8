// Outbound NAT and forwarding rules, kept in two chains named after the daemon instance so that
// cleanup removes exactly this daemon's rules. Rules are written with iptables-restore: one spawn.
import { runCommand as run } from '../util/command';

export type IptablesFlavor = 'nft' | 'legacy';

export interface NatNetwork {
  bridge: string;
  subnet: string;
  /** Internal networks get no NAT and no forwarding to or from other interfaces (docker --internal). */
  internal: boolean;
}

export interface Chains {
  natChain: string;
  filterChain: string;
}

/** Pure: the full content of both chains. Declaring a chain in restore input flushes it first. */
export function chainRules(chains: Chains, networks: readonly NatNetwork[]): string {
  const nat = [`*nat`, `:${chains.natChain} - [0:0]`];
  const filter = [`*filter`, `:${chains.filterChain} - [0:0]`];
  for (const n of networks) {
    if (n.internal) {
      filter.push(
        `-A ${chains.filterChain} -i ${n.bridge} ! -o ${n.bridge} -j DROP`,
        `-A ${chains.filterChain} -o ${n.bridge} ! -i ${n.bridge} -j DROP`,
      );
      continue;
    }
    nat.push(`-A ${chains.natChain} -s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`);
    filter.push(
      `-A ${chains.filterChain} -i ${n.bridge} -j ACCEPT`,
      `-A ${chains.filterChain} -o ${n.bridge} -j ACCEPT`,
    );
  }
  return [...nat, 'COMMIT', ...filter, 'COMMIT', ''].join('\n');
}

/** Pure: which of our jumps and chains `iptables-save` shows. */
export function parseSave(
  save: string,
  chains: Chains,
): { natJump: boolean; filterJump: boolean; natChain: boolean; filterChain: boolean } {
  const lines = save.split('\n');
  return {
    natJump: lines.includes(`-A POSTROUTING -j ${chains.natChain}`),
    filterJump: lines.includes(`-A FORWARD -j ${chains.filterChain}`),
    natChain: lines.some((l) => l.startsWith(`:${chains.natChain} `)),
    filterChain: lines.some((l) => l.startsWith(`:${chains.filterChain} `)),
  };
}

let detected: Promise<IptablesFlavor> | undefined;

/** Hosts differ (nf_tables or legacy x_tables); take the first flavour that can list the nat table. */
export function detectFlavor(): Promise<IptablesFlavor> {
  const forced = process.env.FLOTILLA_IPTABLES;
  if (forced === 'nft' || forced === 'legacy') return Promise.resolve(forced);
  detected ??= run('iptables-nft', ['-t', 'nat', '-S', 'POSTROUTING'])
    .then((): IptablesFlavor => 'nft')
    .catch(() => run('iptables-legacy', ['-t', 'nat', '-S', 'POSTROUTING']).then((): IptablesFlavor => 'legacy'));
  return detected;
}

export class Iptables {
  constructor(
    private readonly flavor: IptablesFlavor,
    private readonly chains: Chains,
  ) {}

  private save(): Promise<string> {
    return run(`iptables-${this.flavor}-save`, []);
  }

  private restore(input: string): Promise<string> {
    return run(`iptables-${this.flavor}-restore`, ['--noflush'], { input });
  }

  /** Writes both chains from scratch and makes sure POSTROUTING and FORWARD jump to them. */
  async sync(networks: readonly NatNetwork[], opts: { ensureJumps?: boolean } = {}): Promise<void> {
    let input = chainRules(this.chains, networks);
    if (opts.ensureJumps) {
      const state = parseSave(await this.save(), this.chains);
      const jumps: string[] = [];
      if (!state.natJump) jumps.push('*nat', `-I POSTROUTING -j ${this.chains.natChain}`, 'COMMIT');
      if (!state.filterJump) jumps.push('*filter', `-I FORWARD -j ${this.chains.filterChain}`, 'COMMIT');
      input += jumps.map((l) => `${l}\n`).join('');
    }
    await this.restore(input);
  }

  /** Removes the jumps and both chains; whatever of it exists. */
  async remove(): Promise<void> {
    const state = parseSave(await this.save(), this.chains);
    const nat = ['*nat'];
    const filter = ['*filter'];
    if (state.natJump) nat.push(`-D POSTROUTING -j ${this.chains.natChain}`);
    if (state.natChain) nat.push(`-F ${this.chains.natChain}`, `-X ${this.chains.natChain}`);
    if (state.filterJump) filter.push(`-D FORWARD -j ${this.chains.filterChain}`);
    if (state.filterChain) filter.push(`-F ${this.chains.filterChain}`, `-X ${this.chains.filterChain}`);
    if (nat.length + filter.length === 2) return;
    await this.restore([...nat, 'COMMIT', ...filter, 'COMMIT', ''].join('\n'));
  }

  /** The rules of our chains as `iptables-save` prints them (tests and diagnostics). */
  async rules(): Promise<string[]> {
    const mine = [this.chains.natChain, this.chains.filterChain];
    return (await this.save()).split('\n').filter((l) => mine.some((c) => l.includes(c)));
  }
}
