// One query in, one answer out (or nothing, for messages that are not queries): the embedded DNS
// minus its sockets. Never throws: whatever the bytes, the caller gets an answer or undefined.
import type { Logger } from '../../log';
import type { DnsSource } from '../types';
import { forwardQuery, type ForwardOptions } from './forwarder';
import { resolve, type ResolveNetwork } from './resolve';
import type { Upstream } from './resolv-conf';
import {
  buildAnswer,
  buildError,
  type DnsAnswerSpec,
  DnsWireError,
  isResponse,
  parseQuery,
  RCODE,
  UDP_PAYLOAD,
} from './wire';

/**
 * TTL of the names the server owns. Docker uses 600 s; a container replaced by another (a swarm
 * task rescheduled, `docker rm -f` and `run` again) gets a new address, and a client that caches
 * (nginx, the JVM, a caching stub) would keep the old one for ten minutes. Answers cost two map
 * lookups on the host, so a short TTL costs nothing worth saving: 10 s.
 */
export const OWN_TTL = 10;
/** Queries forwarded at once per server; beyond this the server answers SERVFAIL at once. */
const MAX_PENDING_FORWARDS = 256;

export interface DnsContext {
  /** The networks whose names the client at `ip` sees, its server's first; undefined: not a client of this network. */
  clientNetworks(ip: string): ResolveNetwork[] | undefined;
  sources(): readonly DnsSource[];
  searchDomains(): readonly string[];
  /**
   * Where names the server does not own go, for the client at `ip` (its own --dns servers, else the
   * host's); empty: NXDOMAIN (no nameserver, or an internal network).
   */
  upstreams(networks: readonly ResolveNetwork[], ip: string): readonly Upstream[];
  forward?: ForwardOptions;
  log: Logger;
}

export class DnsResponder {
  private pending = 0;
  /** Rotates the order of a name's addresses between answers (round robin, as docker shuffles them). */
  private turn = 0;

  constructor(private readonly ctx: DnsContext) {}

  /**
   * The answer, or undefined when there is none to give (not a query, or too short to carry an ID).
   * Synchronous for the names the server owns (no promise on the hot path); a promise when the
   * query is forwarded.
   */
  answer(msg: Buffer, clientIp: string, transport: 'udp' | 'tcp'): Buffer | undefined | Promise<Buffer> {
    try {
      return this.answerUnsafe(msg, clientIp, transport);
    } catch (e) {
      return this.failed(msg, clientIp, e);
    }
  }

  /** A bug here must cost one query (SERVFAIL), not the daemon. */
  private failed(msg: Buffer, clientIp: string, e: unknown): Buffer | undefined {
    this.ctx.log.warn({ err: (e as Error).message, client: clientIp }, 'embedded DNS failed to answer a query');
    const id = msg.length >= 12 && !isResponse(msg) ? msg.readUInt16BE(0) : undefined;
    return id === undefined ? undefined : buildError(id, RCODE.SERVFAIL);
  }

  private answerUnsafe(msg: Buffer, clientIp: string, transport: 'udp' | 'tcp'): Buffer | undefined | Promise<Buffer> {
    // Never answer an answer: two servers pointed at each other would loop.
    if (isResponse(msg)) return undefined;
    let q;
    try {
      q = parseQuery(msg);
    } catch (e) {
      if (e instanceof DnsWireError && e.id !== undefined && msg.length >= 12) return buildError(e.id, RCODE.FORMERR);
      return undefined;
    }
    const question = q.questions[0];
    if (q.opcode !== 0) return buildError(q.id, RCODE.NOTIMP, question, q.rd);
    if (q.questions.length !== 1 || !question) return buildError(q.id, RCODE.FORMERR, undefined, q.rd);
    const base = { id: q.id, rd: q.rd, cd: q.cd, question };
    const networks = this.ctx.clientNetworks(clientIp);
    if (!networks) return buildAnswer({ ...base, rcode: RCODE.REFUSED });
    const maxSize = transport === 'tcp' ? 65535 : Math.max(UDP_PAYLOAD, Math.min(q.ednsPayload ?? UDP_PAYLOAD, 4096));
    const r = resolve({
      name: question.name,
      type: question.type,
      class: question.class,
      networks,
      sources: this.ctx.sources(),
      searchDomains: this.ctx.searchDomains(),
      onSourceError: (e) =>
        this.ctx.log.warn({ err: (e as Error).message, name: question.name }, 'a DNS source failed'),
    });
    switch (r.kind) {
      case 'addresses':
        return buildAnswer({
          ...base,
          rcode: RCODE.NOERROR,
          aa: true,
          addresses: this.rotate(r.addresses),
          ttl: OWN_TTL,
          maxSize,
        });
      case 'ptr':
        return buildAnswer({ ...base, rcode: RCODE.NOERROR, aa: true, ptr: r.target, ttl: OWN_TTL, maxSize });
      case 'nodata':
        return buildAnswer({ ...base, rcode: RCODE.NOERROR, aa: true });
      case 'forward':
        return this.forward(msg, base, this.ctx.upstreams(networks, clientIp), transport).catch(
          (e: unknown) => this.failed(msg, clientIp, e) ?? buildError(q.id, RCODE.SERVFAIL),
        );
    }
  }

  private rotate(addresses: string[]): string[] {
    if (addresses.length < 2) return addresses;
    const k = this.turn++ % addresses.length;
    return [...addresses.slice(k), ...addresses.slice(0, k)];
  }

  private async forward(
    msg: Buffer,
    base: Omit<DnsAnswerSpec, 'rcode'>,
    upstreams: readonly Upstream[],
    transport: 'udp' | 'tcp',
  ): Promise<Buffer> {
    if (upstreams.length === 0) return buildAnswer({ ...base, rcode: RCODE.NXDOMAIN });
    if (this.pending >= MAX_PENDING_FORWARDS) return buildAnswer({ ...base, rcode: RCODE.SERVFAIL });
    this.pending++;
    try {
      const answer = await forwardQuery(msg, upstreams, { ...this.ctx.forward, transport });
      return answer ?? buildAnswer({ ...base, rcode: RCODE.SERVFAIL });
    } finally {
      this.pending--;
    }
  }
}
