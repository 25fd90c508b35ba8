// Docker's /events message for a container, from its record.
import type { ContainerRecord } from './container-types';

export interface ContainerEvent {
  Type: 'container';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
}

/** Attributes: image, name, the container's labels, then `extra` (exitCode, signal, ...). */
export function containerEvent(
  rec: ContainerRecord,
  action: string,
  extra: Record<string, string> = {},
): ContainerEvent {
  const nanos = Date.now() * 1e6;
  return {
    Type: 'container',
    Action: action,
    Actor: { ID: rec.id, Attributes: { image: rec.config.Image, name: rec.name, ...rec.config.Labels, ...extra } },
    time: Math.floor(nanos / 1e9),
    timeNano: nanos,
  };
}
