// A node's part in root CA rotation: every few seconds it tells a manager's CA which roots it
// trusts (the CA reads which root issued its certificate from the handshake) and follows the
// answer: trust the roots it is given, renew at once when a new root signs. Nothing is torn down:
// live sessions keep their connections, new ones use the new credentials.
import type { Logger } from '@flotilla/engine-core';
import { TlsStatusClient, type NodeState, type NodeTls } from '@flotilla/manager';
import { localAddr } from './membership';

/** The CAs a node asks (status, renewal): its own manager first, then the ones its agent knows. */
export function caManagerAddrs(state: NodeState | null, known: string[] | undefined): string[] {
  if (!state) return [];
  const own = state.role === 'manager' ? [localAddr(state.advertiseAddr)] : [];
  return [...new Set([...own, ...(known ?? [])])];
}

export interface TlsWatchOptions {
  /** The node's credentials now (null: not in a swarm). */
  tls: () => NodeTls | null;
  /** Managers to ask, the preferred first. */
  managers: () => string[];
  /** Trust these roots from now on (saved, and given to every listener and channel). */
  trust: (caCertPem: string) => Promise<void>;
  /** Renew the node certificate now. */
  renew: () => Promise<void>;
  log: Logger;
  everyMs?: number;
}

export class TlsWatch {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;
  private readonly client = new TlsStatusClient();
  private failures = 0;

  constructor(private readonly o: TlsWatchOptions) {}

  start(): void {
    this.stopped = false;
    this.arm(Math.floor(Math.random() * this.every()));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.client.close();
  }

  private every(): number {
    return this.o.everyMs ?? 2000;
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), ms);
    this.timer.unref();
  }

  /** One round: ask, follow the answer; a change is checked again at once (to report it). */
  async check(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    let again = false;
    try {
      const tls = this.o.tls();
      if (!tls) return;
      const answer = await this.client.ask(this.o.managers(), tls);
      this.failures = 0;
      if (answer.trustRootPem !== tls.caCertPem) {
        await this.o.trust(answer.trustRootPem);
        this.o.log.info({ roots: answer.trustRootPem.match(/BEGIN CERTIFICATE/g)?.length }, 'trusted root CAs changed');
      }
      if (answer.renew) {
        this.o.log.info({}, 'a new root CA signs: renewing the node certificate');
        await this.o.renew();
      }
      // What changed is reported at once (a renewal refused for now waits for the next round).
      again = this.o.tls() !== tls;
    } catch (e) {
      // Managers away or electing: the next round asks again (the log says so once in a while).
      if (this.failures++ % 30 === 0) this.o.log.debug({ err: (e as Error).message }, 'TLS status check failed');
    } finally {
      this.running = false;
      this.arm(again ? 50 : this.every() + Math.floor(Math.random() * 500));
    }
  }
}
