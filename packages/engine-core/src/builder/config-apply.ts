// Metadata instructions (ENV, LABEL, CMD, ...) applied to an image config. Pure; shared by the
// builder and by `import --change`.
import type { ContainerConfigSpec } from '../images/types';
import { ConfigInstructionError } from './errors';
import type { Instruction } from './parser';
import { expandWords, parseKeyValues, type Lookup } from './shell-lex';

function parseDuration(s: string | undefined, flag: string): number | undefined {
  if (s === undefined) return undefined;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let matched = '';
  for (const [whole, num, u] of s.matchAll(re)) {
    const scale = unit[u ?? ''];
    if (num === undefined || scale === undefined) break; // cannot happen with this pattern: reported as invalid
    total += parseFloat(num) * scale;
    matched += whole;
  }
  if (matched !== s) throw new ConfigInstructionError(`invalid duration for --${flag}: ${s}`);
  return Math.round(total);
}

/** The shell-form command as exec args, with the current SHELL (default /bin/sh -c). */
export function shellArgs(config: ContainerConfigSpec, cmd: string): string[] {
  return [...(config.Shell?.length ? config.Shell : ['/bin/sh', '-c']), cmd];
}

/** Set a variable like docker does: in place when it exists, appended otherwise. */
export function setEnv(env: string[] | undefined, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((e) => e.slice(0, e.indexOf('=')) === key);
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/** Apply one metadata instruction; returns true when it was one (false for FROM/RUN/COPY/...). */
export function applyConfigInstruction(
  config: ContainerConfigSpec,
  inst: Instruction,
  lookup: Lookup,
  escape = '\\',
): boolean {
  const words = () => expandWords(inst.rest, lookup, escape);
  switch (inst.cmd) {
    case 'ENV':
      for (const [k, v] of parseKeyValues(inst.rest, lookup, escape)) config.Env = setEnv(config.Env, k, v);
      return true;
    case 'LABEL':
      config.Labels = { ...(config.Labels ?? {}) };
      for (const [k, v] of parseKeyValues(inst.rest, lookup, escape, false)) config.Labels[k] = v;
      return true;
    case 'MAINTAINER':
      return true;
    case 'EXPOSE':
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}) };
      for (const p of words()) {
        if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p))
          throw new ConfigInstructionError(`invalid containerPort: ${p}`);
        config.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
      }
      return true;
    case 'VOLUME': {
      config.Volumes = { ...(config.Volumes ?? {}) };
      const vols = inst.json ?? words();
      for (const v of vols) {
        if (!v.trim()) throw new ConfigInstructionError('VOLUME specified can not be an empty string');
        config.Volumes[v] = {};
      }
      return true;
    }
    case 'USER':
      config.User = words().join(' ');
      return true;
    case 'WORKDIR': {
      const dir = expandWords(inst.rest, lookup, escape).join(' ');
      const base = config.WorkingDir || '/';
      const joined = dir.startsWith('/') ? dir : `${base.replace(/\/$/, '')}/${dir}`;
      config.WorkingDir = normalizeAbs(joined);
      return true;
    }
    case 'CMD':
      config.Cmd = inst.json ?? shellArgs(config, inst.rest);
      return true;
    case 'ENTRYPOINT':
      config.Entrypoint = inst.json ?? shellArgs(config, inst.rest);
      // docker: ENTRYPOINT resets a CMD inherited from the base image, not one set in this build
      return true;
    case 'STOPSIGNAL':
      config.StopSignal = words()[0];
      return true;
    case 'SHELL':
      config.Shell = inst.json;
      return true;
    case 'HEALTHCHECK': {
      const rest = inst.rest.trim();
      if (/^NONE$/i.test(rest)) {
        config.Healthcheck = { Test: ['NONE'] };
        return true;
      }
      const m = /^CMD\s+([\s\S]*)$/i.exec(rest);
      if (!m) throw new ConfigInstructionError('HEALTHCHECK must be NONE or CMD <command>');
      const command = m[1] ?? '';
      let json: string[] | undefined;
      try {
        const v: unknown = JSON.parse(command);
        if (Array.isArray(v)) json = v as string[];
      } catch {
        json = undefined;
      }
      const f = inst.flags;
      const hc: NonNullable<ContainerConfigSpec['Healthcheck']> = {
        Test: json ? ['CMD', ...json] : ['CMD-SHELL', command],
        Interval: parseDuration(f.interval, 'interval'),
        Timeout: parseDuration(f.timeout, 'timeout'),
        StartPeriod: parseDuration(f['start-period'], 'start-period'),
        Retries: f.retries !== undefined ? Number(f.retries) : undefined,
      };
      for (const k of Object.keys(hc) as (keyof typeof hc)[]) if (hc[k] === undefined) delete hc[k];
      config.Healthcheck = hc;
      return true;
    }
    default:
      return false;
  }
}

export function normalizeAbs(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
