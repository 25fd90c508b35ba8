import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidJoinTokenError } from './errors';

export interface ParsedToken {
  /** base36 SHA-256 of the root CA certificate (DER), 50 chars. */
  caDigest: string;
  /** 25 base36 chars: which role the token grants is decided by which secret it matches. */
  secret: string;
}

function toBase36(buf: Buffer, width: number): string {
  return BigInt(`0x${buf.toString('hex')}`)
    .toString(36)
    .padStart(width, '0');
}

/** The CA digest as tokens carry it: base36 of SHA-256 over the certificate's DER bytes. */
export function caDigest(caCertDer: Uint8Array): string {
  return toBase36(createHash('sha256').update(caCertDer).digest(), 50);
}

export function newSecret(): string {
  return toBase36(randomBytes(16), 25).slice(-25);
}

/** SWMTKN-1-<CA digest>-<secret>, docker's format. */
export function formatJoinToken(caCertDer: Uint8Array, secret: string): string {
  return `SWMTKN-1-${caDigest(caCertDer)}-${secret}`;
}

export function parseJoinToken(token: string): ParsedToken {
  const [, caDigest, secret] = /^SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})$/.exec(token.trim()) ?? [];
  if (!caDigest || !secret)
    throw new InvalidJoinTokenError(
      'expected SWMTKN-1-<digest>-<secret>; copy it again from "flotilla swarm join-token worker" on a manager',
    );
  return { caDigest, secret };
}

/** Constant-time comparison of a presented secret with the cluster's. */
export function secretMatches(presented: string, actual: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}
