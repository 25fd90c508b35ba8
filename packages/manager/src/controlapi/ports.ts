// Published ports of a service: ingress ports are cluster-wide, so they are checked and allocated here.
import type { TxBuilder } from '../store/store';
import type { PortConfig, ServiceSpec } from '../types';
import { InvalidSpecError, PortConflictError } from './errors';

/** The service that holds a published port (the one being written, or another). */
type PortOwner = { ID: string; Spec: { Name: string } };

/** Docker's dynamic range for ingress ports published without a number. */
export const INGRESS_PORT_RANGE = [30000, 32767] as const;

/** Ingress ports are cluster-wide: one service per published port; unnumbered ones get a free port. */
export function resolvePorts(tx: Pick<TxBuilder, 'list'>, spec: ServiceSpec, selfId: string): PortConfig[] {
  const used = new Map<string, PortOwner>();
  for (const s of tx.list('services')) {
    if (s.ID === selfId) continue;
    for (const p of s.Endpoint?.Ports ?? [])
      if (p.PublishMode === 'ingress' && p.PublishedPort) used.set(`${p.PublishedPort}/${p.Protocol}`, s);
  }
  const out: PortConfig[] = [];
  for (const p of spec.EndpointSpec?.Ports ?? []) {
    const port: PortConfig = {
      Protocol: p.Protocol ?? 'tcp',
      TargetPort: p.TargetPort,
      PublishMode: p.PublishMode ?? 'ingress',
      ...(p.Name ? { Name: p.Name } : {}),
    };
    if (p.PublishedPort) port.PublishedPort = p.PublishedPort;
    if (port.PublishMode === 'ingress') {
      if (!port.PublishedPort) {
        for (let n = INGRESS_PORT_RANGE[0]; n <= INGRESS_PORT_RANGE[1]; n++) {
          if (!used.has(`${n}/${port.Protocol}`)) {
            port.PublishedPort = n;
            break;
          }
        }
        if (!port.PublishedPort) throw new InvalidSpecError('no free ingress port left in 30000-32767');
      }
      const other = used.get(`${port.PublishedPort}/${port.Protocol}`);
      if (other) throw new PortConflictError(port.PublishedPort, port.Protocol, other.Spec.Name, other.ID);
      used.set(`${port.PublishedPort}/${port.Protocol}`, { ID: selfId, Spec: spec });
    }
    out.push(port);
  }
  return out;
}
