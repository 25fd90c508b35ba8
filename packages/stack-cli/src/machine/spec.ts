// Pure parts of `flotilla machine`: names, addresses and the state record, with no I/O.

/** The host bridge every machine's veth plugs into (its address is the machines' gateway). */
export const HOST_BRIDGE = 'flmach0';
export const GATEWAY = '198.18.0.1';
export const PREFIX_LEN = 24;
const NET = '198.18.0.';

export interface MachineState {
  name: string;
  /** Last octet of the machine's address in 198.18.0.0/24 (2..254). */
  index: number;
  ip: string;
  netns: string;
  hostVeth: string;
  dataRoot: string;
  execRoot: string;
  socket: string;
  /** The daemon's pid, 0 when stopped. */
  pid: number;
  createdAt: string;
}

export class InvalidMachineNameError extends Error {
  constructor(name: string) {
    super(
      `Invalid machine name "${name}": use only letters, digits, "-" and "."; start with a letter or digit; at most 63 characters`,
    );
    this.name = 'InvalidMachineNameError';
  }
}

export class NoFreeAddressError extends Error {
  constructor() {
    super(
      'No free address left in 198.18.0.0/24 for a new machine: remove a machine with "flotilla machine rm NAME" first',
    );
    this.name = 'NoFreeAddressError';
  }
}

// docker-machine's rule (a hostname label); the length cap keeps it a valid hostname.
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$/;

export function validateName(name: string): void {
  if (!NAME_RE.test(name)) throw new InvalidMachineNameError(name);
}

/** The lowest free last octet from .2, skipping those in `taken`. */
export function allocateIndex(taken: Iterable<number>): number {
  const used = new Set(taken);
  for (let i = 2; i <= 254; i++) if (!used.has(i)) return i;
  throw new NoFreeAddressError();
}

export const ipOf = (index: number): string => `${NET}${index}`;

/** Kernel and file names for a machine; the veth is named by index since IFNAMSIZ is 16. */
export function machineState(storage: string, name: string, index: number, now: Date): MachineState {
  const dir = `${storage}/${name}`;
  return {
    name,
    index,
    ip: ipOf(index),
    netns: `flm-${name}`,
    hostVeth: `flmv${index}`,
    dataRoot: `${dir}/data`,
    execRoot: `/run/flotilla-machine-${name}`,
    socket: `${dir}/flotilla.sock`,
    pid: 0,
    createdAt: now.toISOString(),
  };
}

export function parseState(text: string, file: string): MachineState {
  const o = JSON.parse(text) as Partial<MachineState>;
  if (typeof o.name !== 'string' || typeof o.index !== 'number' || typeof o.netns !== 'string')
    throw new Error(`corrupt machine state in ${file}: remove it with "flotilla machine rm -f NAME"`);
  return o as MachineState;
}

export function envLines(m: MachineState): string {
  return `export FLOTILLA_HOST="unix://${m.socket}"\nexport FLOTILLA_MACHINE_NAME="${m.name}"\n# Run this command to configure your shell: \n# eval $(flotilla machine env ${m.name})\n`;
}
