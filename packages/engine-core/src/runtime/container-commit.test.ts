// commitConfig: the container's settings, then the body's, then --change instructions.
import { commitConfig } from './container-commit';

test('container config, body overrides and changes combine; Hostname/Image are not image config', () => {
  const c = commitConfig(
    { Hostname: 'abc', Image: 'busybox', Env: ['A=1'], Cmd: ['sleep', '60'], WorkingDir: '/', User: '' },
    ['ENV B=2', 'CMD ["echo", "hi"]\nWORKDIR /app', 'EXPOSE 80'],
    { Labels: { x: 'y' } },
  );
  expect(c).toEqual({
    Env: ['A=1', 'B=2'],
    Cmd: ['echo', 'hi'],
    WorkingDir: '/app',
    Labels: { x: 'y' },
    ExposedPorts: { '80/tcp': {} },
  });
});

test("a change docker commit does not allow is refused with docker's message", () => {
  expect(() => commitConfig({}, ['RUN true'], null)).toThrow('RUN is not a valid change command');
  expect(() => commitConfig({}, ['FROM x'], null)).toThrow('FROM is not a valid change command');
});
