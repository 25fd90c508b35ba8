// flotilla swarm ca [--rotate [--ca-cert F --ca-key F] [--cert-expiry D] [-d] [-q]]: show the root
// CA, or rotate it and follow the rotation like docker (two progress bars over the nodes).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDuration } from '../../compose/units';
import { UsageError, bool, parseArgs, str } from '../args';
import { type Ctx, ExitError, out } from '../io';

interface TlsInfo {
  TrustRoot?: string;
  CertIssuerSubject?: string;
  CertIssuerPublicKey?: string;
}
interface SwarmView {
  Version: { Index: number };
  Spec: { CAConfig?: Record<string, unknown> } & Record<string, unknown>;
  TLSInfo?: TlsInfo;
  RootRotationInProgress?: boolean;
}
interface NodeView {
  Description?: { TLSInfo?: TlsInfo };
}

const CERTS = '  rotated TLS certificates';
const ROOTS = '  rotated CA certificates';

/** docker's progress bar: 50 wide, `=` up to the share done, then `>`; "2/3 nodes" after it. */
export function progressBar(current: number, total: number): string {
  const n = total > 0 ? Math.floor((50 * current) / total) : 0;
  const bar = n >= 50 ? `[${'='.repeat(50)}>]` : `[${'='.repeat(n)}>${' '.repeat(49 - n)}]`;
  return `${bar} ${current}/${total} nodes`;
}

/**
 * The progress lines of a rotation (pure, docker's rule): nodes whose certificate comes from the
 * wanted issuer, and nodes that trust exactly the swarm's root; the second counts only once every
 * certificate moved and the swarm dropped the old root. `done` when both are complete.
 */
export function rotationProgress(s: SwarmView, nodes: NodeView[]): { lines: string[]; done: boolean } {
  const want = s.TLSInfo ?? {};
  let certs = 0;
  let roots = 0;
  for (const n of nodes) {
    const t = n.Description?.TLSInfo ?? {};
    if (t.CertIssuerSubject === want.CertIssuerSubject && t.CertIssuerPublicKey === want.CertIssuerPublicKey) certs++;
    if (t.TrustRoot === want.TrustRoot) roots++;
  }
  const total = nodes.length;
  const rootsCounted = certs === total && !s.RootRotationInProgress;
  const digest = `sha256:${createHash('sha256')
    .update(want.TrustRoot ?? '')
    .digest('hex')}`;
  return {
    lines: [
      `desired root digest: ${digest}`,
      `${CERTS}:  ${progressBar(certs, total)}`,
      `${ROOTS}:   ${progressBar(rootsCounted ? roots : 0, total)}`,
    ],
    done: rootsCounted && roots === total,
  };
}

function trustRoot(s: SwarmView): string {
  const root = s.TLSInfo?.TrustRoot?.trim();
  if (!root) throw new ExitError('No CA information available', 1);
  return root;
}

async function pemFile(ctx: Ctx, flag: string, path: string | undefined): Promise<string> {
  if (path === undefined) return '';
  try {
    return await readFile(resolve(ctx.io.cwd, path), 'utf8');
  } catch (e) {
    throw new UsageError(`invalid argument "${path}" for "--${flag}" flag: ${(e as Error).message}`);
  }
}

/** Polls until the rotation converged; draws in place on a terminal, else prints each change once. */
async function follow(ctx: Ctx, quiet: boolean): Promise<void> {
  const tty = !!(ctx.io.stdout as { isTTY?: boolean }).isTTY;
  let shown: string[] = [];
  for (;;) {
    const s = await ctx.client.json<SwarmView>('GET', '/swarm');
    const nodes = await ctx.client.json<NodeView[]>('GET', '/nodes');
    const p = rotationProgress(s, nodes);
    if (!quiet) {
      if (tty) {
        if (shown.length) ctx.io.stdout.write(`\x1b[${shown.length}A`);
        ctx.io.stdout.write(p.lines.map((l) => `\x1b[2K${l}\n`).join(''));
      } else {
        for (const [i, l] of p.lines.entries()) if (shown[i] !== l) out(ctx, l);
      }
      shown = p.lines;
    }
    if (p.done) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function swarmCa(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'rotate', type: 'bool' },
    { name: 'ca-cert', type: 'string' },
    { name: 'ca-key', type: 'string' },
    { name: 'cert-expiry', type: 'string' },
    { name: 'external-ca', type: 'string' },
    { name: 'detach', short: 'd', type: 'bool' },
    { name: 'quiet', short: 'q', type: 'bool' },
  ]);
  if (p.positionals.length) throw new UsageError('"flotilla swarm ca" accepts no arguments.');
  const s = await ctx.client.json<SwarmView>('GET', '/swarm');
  if (!bool(p, 'rotate')) {
    for (const f of ['ca-cert', 'ca-key', 'cert-expiry', 'external-ca'])
      if (str(p, f) !== undefined)
        throw new ExitError(`\`--${f}\` flag requires the \`--rotate\` flag to update the CA`, 1);
    out(ctx, trustRoot(s));
    return 0;
  }
  if (str(p, 'external-ca') !== undefined)
    throw new ExitError(
      'flotilla supports no external CA: it signs node certificates with the swarm root CA; give a new root with --ca-cert and --ca-key, or none to have one made',
      1,
    );
  const cert = await pemFile(ctx, 'ca-cert', str(p, 'ca-cert'));
  const key = await pemFile(ctx, 'ca-key', str(p, 'ca-key'));
  if (cert && !key)
    throw new ExitError(
      'the --ca-cert flag requires that a --ca-key flag and/or --external-ca flag be provided as well',
      1,
    );
  const ca: Record<string, unknown> = { ...s.Spec.CAConfig, SigningCACert: cert, SigningCAKey: key };
  if (!cert && !key) ca.ForceRotate = Number(ca.ForceRotate ?? 0) + 1;
  const expiry = str(p, 'cert-expiry');
  if (expiry !== undefined) {
    try {
      ca.NodeCertExpiry = parseDuration(expiry);
    } catch (e) {
      throw new UsageError(`invalid argument "${expiry}" for "--cert-expiry" flag: ${(e as Error).message}`);
    }
  }
  await ctx.client.call('POST', '/swarm/update', {
    query: { version: s.Version.Index },
    body: { ...s.Spec, CAConfig: ca },
  });
  if (bool(p, 'detach')) return 0;
  await follow(ctx, bool(p, 'quiet'));
  if (!bool(p, 'quiet')) out(ctx, trustRoot(await ctx.client.json<SwarmView>('GET', '/swarm')));
  return 0;
}
