import type { Node } from '../store/types';
import { InvalidConstraintError } from './errors';

export interface Constraint {
  key: string;
  op: '==' | '!=';
  value: string;
}

const KEY = /^(node\.(id|hostname|role|platform\.os|platform\.arch|labels\.[^\s=!]+)|engine\.labels\.[^\s=!]+)$/i;

/** Parses `node.role == manager`, `node.labels.zone != east`, ... (docker's constraint grammar). */
export function parseConstraint(expr: string): Constraint {
  const m = /^\s*([^=!\s]+)\s*(==|!=)\s*(.*?)\s*$/.exec(expr);
  if (!m) throw new InvalidConstraintError(expr, 'expected KEY==VALUE or KEY!=VALUE, e.g. node.role==manager');
  const [, key, op, value] = m as unknown as [string, string, '==' | '!=', string];
  if (!KEY.test(key)) {
    throw new InvalidConstraintError(
      expr,
      `unknown key ${key}: use node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name> or engine.labels.<name>`,
    );
  }
  if (!value) throw new InvalidConstraintError(expr, 'missing value');
  return {
    key:
      key.toLowerCase().startsWith('node.labels.') || key.toLowerCase().startsWith('engine.labels.')
        ? key.replace(/^(\w+\.labels\.)/i, (p) => p.toLowerCase())
        : key.toLowerCase(),
    op,
    value,
  };
}

/** The node attribute a constraint key names, or undefined (a label the node does not have). */
export function nodeAttribute(node: Node, key: string): string | undefined {
  switch (key) {
    case 'node.id':
      return node.ID;
    case 'node.hostname':
      return node.Description.Hostname;
    case 'node.role':
      return node.Spec.Role;
    case 'node.platform.os':
      return node.Description.Platform.OS;
    case 'node.platform.arch':
      return node.Description.Platform.Architecture;
  }
  if (key.startsWith('node.labels.')) return node.Spec.Labels[key.slice('node.labels.'.length)];
  if (key.startsWith('engine.labels.')) return node.Description.Engine.Labels?.[key.slice('engine.labels.'.length)];
  return undefined;
}

/** Values compare case-insensitively except labels, like swarmkit. */
export function satisfies(node: Node, c: Constraint): boolean {
  const actual = nodeAttribute(node, c.key);
  const isLabel = c.key.includes('.labels.');
  const eq = actual !== undefined && (isLabel ? actual === c.value : actual.toLowerCase() === c.value.toLowerCase());
  return c.op === '==' ? eq : !eq;
}
