import type { ServiceSpec } from './types';
import { InvalidSpecError } from './errors';
import { parseConstraint } from '../scheduler/constraints';

const NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62})$/;

/** Checks a service spec the way dockerd does before it touches the store. */
export function validateServiceSpec(spec: ServiceSpec): void {
  if (!spec || typeof spec !== 'object') throw new InvalidSpecError('service spec is missing');
  if (!spec.Name || !NAME.test(spec.Name)) {
    throw new InvalidSpecError(
      `invalid name "${spec.Name ?? ''}": use 1-63 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }
  const image = spec.TaskTemplate?.ContainerSpec?.Image;
  if (!image || !image.trim())
    throw new InvalidSpecError(`service ${spec.Name}: ContainerSpec: image reference must be provided`);
  const mode = spec.Mode ?? { Replicated: { Replicas: 1 } };
  if ('Replicated' in mode) {
    const r = mode.Replicated.Replicas;
    if (!Number.isInteger(r) || r < 0)
      throw new InvalidSpecError(
        `invalid replicas value for service ${spec.Name}: ${r}: replicas must be a non-negative integer`,
      );
  }
  for (const c of spec.TaskTemplate.Placement?.Constraints ?? []) {
    try {
      parseConstraint(c);
    } catch (e) {
      throw new InvalidSpecError((e as Error).message);
    }
  }
  const endpointMode = spec.EndpointSpec?.Mode;
  if (endpointMode !== undefined && endpointMode !== 'vip' && endpointMode !== 'dnsrr')
    throw new InvalidSpecError(`invalid endpoint mode "${String(endpointMode)}": use vip or dnsrr`);
  const seen = new Set<string>();
  for (const p of spec.EndpointSpec?.Ports ?? []) {
    // dockerd's text: a dnsrr service has no VIP, so there is nothing the ingress mesh could balance to.
    if (endpointMode === 'dnsrr' && (p.PublishMode ?? 'ingress') === 'ingress')
      throw new InvalidSpecError("port published with ingress mode can't be used with dnsrr mode");
    if (!Number.isInteger(p.TargetPort) || p.TargetPort < 1 || p.TargetPort > 65535)
      throw new InvalidSpecError(`invalid target port ${p.TargetPort}: ports are 1-65535`);
    if (
      p.PublishedPort !== undefined &&
      (!Number.isInteger(p.PublishedPort) || p.PublishedPort < 0 || p.PublishedPort > 65535)
    ) {
      throw new InvalidSpecError(`invalid published port ${p.PublishedPort}: ports are 0-65535`);
    }
    if (p.PublishedPort) {
      const key = `${p.PublishedPort}/${p.Protocol ?? 'tcp'}`;
      if (seen.has(key)) throw new InvalidSpecError(`duplicate published port ${key} in service ${spec.Name}`);
      seen.add(key);
    }
  }
  const res = spec.TaskTemplate.Resources;
  for (const [kind, set] of Object.entries(res ?? {})) {
    if (set?.NanoCPUs !== undefined && set.NanoCPUs < 0)
      throw new InvalidSpecError(`invalid ${kind} cpus: must not be negative`);
    if (set?.MemoryBytes !== undefined && set.MemoryBytes !== 0 && set.MemoryBytes < 6 * 1024 * 1024) {
      throw new InvalidSpecError(`invalid ${kind} memory: the minimum is 6MB`);
    }
  }
}
