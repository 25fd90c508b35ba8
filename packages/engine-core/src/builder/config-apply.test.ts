import type { ContainerConfigSpec } from '../images/types';
import { applyConfigInstruction } from './config-apply';
import { ConfigInstructionError } from './errors';
import { parseDockerfile } from './parser';

function apply(lines: string, env: Record<string, string> = {}): ContainerConfigSpec {
  const cfg: ContainerConfigSpec = {};
  for (const inst of parseDockerfile(`FROM scratch\n${lines}`).instructions.slice(1)) {
    applyConfigInstruction(cfg, inst, (n) => env[n]);
  }
  return cfg;
}

describe('metadata instructions', () => {
  it('uses SHELL for later shell-form CMD and ENTRYPOINT, keeps exec form as written', () => {
    const cfg = apply('CMD echo one\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nENTRYPOINT run it\nCMD ["a", "b"]\n');
    expect(cfg.Shell).toEqual(['/bin/bash', '-o', 'pipefail', '-c']);
    expect(cfg.Entrypoint).toEqual(['/bin/bash', '-o', 'pipefail', '-c', 'run it']);
    expect(cfg.Cmd).toEqual(['a', 'b']);
    expect(apply('CMD echo $HOME').Cmd).toEqual(['/bin/sh', '-c', 'echo $HOME']);
  });

  it('parses HEALTHCHECK flags into nanoseconds, and NONE', () => {
    expect(
      apply('HEALTHCHECK --interval=5s --timeout=1m30s --start-period=500ms --retries=4 CMD curl -f http://localhost/')
        .Healthcheck,
    ).toEqual({
      Test: ['CMD-SHELL', 'curl -f http://localhost/'],
      Interval: 5e9,
      Timeout: 90e9,
      StartPeriod: 5e8,
      Retries: 4,
    });
    expect(apply('HEALTHCHECK CMD ["true"]').Healthcheck).toEqual({ Test: ['CMD', 'true'] });
    expect(apply('HEALTHCHECK NONE').Healthcheck).toEqual({ Test: ['NONE'] });
    expect(() => apply('HEALTHCHECK --interval=5 CMD true')).toThrow(ConfigInstructionError);
  });

  it('handles USER, VOLUME (both forms), EXPOSE with protocols, STOPSIGNAL, LABEL, WORKDIR and ENV with substitution', () => {
    const cfg = apply(
      'ENV BASE=/srv\nUSER app:app\nVOLUME ["/data", "/logs"]\nVOLUME /cache\nEXPOSE 80 53/udp 8000-8001\nSTOPSIGNAL SIGQUIT\nLABEL a=1 "b c"="d e"\nWORKDIR $BASE\nWORKDIR app/../web\n',
      { BASE: '/srv' },
    );
    expect(cfg.User).toBe('app:app');
    expect(cfg.Volumes).toEqual({ '/data': {}, '/logs': {}, '/cache': {} });
    expect(cfg.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {}, '8000-8001/tcp': {} });
    expect(cfg.StopSignal).toBe('SIGQUIT');
    expect(cfg.Labels).toEqual({ a: '1', 'b c': 'd e' });
    expect(cfg.WorkingDir).toBe('/srv/web');
    expect(cfg.Env).toEqual(['BASE=/srv']);
    expect(() => apply('EXPOSE eighty')).toThrow('invalid containerPort: eighty');
  });

  it('replaces an ENV variable in place rather than appending a duplicate', () => {
    expect(apply('ENV A=1 B=2\nENV A=3').Env).toEqual(['A=3', 'B=2']);
  });
});
