import {
  InvalidMachineNameError,
  NoFreeAddressError,
  allocateIndex,
  envLines,
  machineState,
  parseState,
  validateName,
} from './spec';

describe('machine spec', () => {
  it('validates names like docker-machine', () => {
    expect(() => validateName('m1')).not.toThrow();
    expect(() => validateName('my-vm.1')).not.toThrow();
    expect(() => validateName('-x')).toThrow(InvalidMachineNameError);
    expect(() => validateName('a/b')).toThrow(InvalidMachineNameError);
    expect(() => validateName('')).toThrow(InvalidMachineNameError);
    expect(() => validateName('a'.repeat(64))).toThrow(InvalidMachineNameError);
  });

  it('allocates the lowest free address from .2', () => {
    expect(allocateIndex([])).toBe(2);
    expect(allocateIndex([2, 3, 5])).toBe(4);
    expect(() => allocateIndex(Array.from({ length: 253 }, (_, i) => i + 2))).toThrow(NoFreeAddressError);
  });

  it('names kernel objects and paths from the name and index', () => {
    const m = machineState('/s', 'm1', 3, new Date(0));
    expect(m).toMatchObject({
      ip: '198.18.0.3',
      netns: 'flm-m1',
      hostVeth: 'flmv3',
      socket: '/s/m1/flotilla.sock',
      dataRoot: '/s/m1/data',
      execRoot: '/run/flotilla-machine-m1',
      pid: 0,
    });
    expect(parseState(JSON.stringify(m), 'f')).toEqual(m);
    expect(() => parseState('{}', 'f')).toThrow(/corrupt/);
    expect(envLines(m)).toContain('export FLOTILLA_HOST="unix:///s/m1/flotilla.sock"');
  });
});
