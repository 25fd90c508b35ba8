import { parseArgs } from './args';
import { RUN_FLAGS, buildRunConfig } from './run-config';

const body = (args: string[]) =>
  buildRunConfig(parseArgs([...args, 'img'], RUN_FLAGS, { interspersed: false }), {}, '/').body;

test('--health-* flags become the create body Healthcheck (nanoseconds), like docker run', () => {
  expect(
    body([
      '--health-cmd',
      'curl -f http://localhost/',
      '--health-interval',
      '2s',
      '--health-timeout',
      '500ms',
      '--health-retries',
      '5',
      '--health-start-period',
      '1m',
    ]).Healthcheck,
  ).toEqual({
    Test: ['CMD-SHELL', 'curl -f http://localhost/'],
    Interval: 2e9,
    Timeout: 5e8,
    Retries: 5,
    StartPeriod: 60e9,
  });
  // Only a timing flag: the image's test with the new interval.
  expect(body(['--health-interval', '1s']).Healthcheck).toEqual({ Interval: 1e9 });
  expect(body(['--no-healthcheck']).Healthcheck).toEqual({ Test: ['NONE'] });
  expect(body([]).Healthcheck).toBeUndefined();
});

test('bad health flags get docker errors', () => {
  expect(() => body(['--no-healthcheck', '--health-cmd', 'true'])).toThrow(
    '--no-healthcheck conflicts with --health-* options',
  );
  expect(() => body(['--health-interval', 'soon'])).toThrow(
    'invalid argument "soon" for "--health-interval" flag: time: invalid duration "soon"',
  );
  expect(() => body(['--health-retries', '-1'])).toThrow('--health-retries cannot be negative');
  expect(() => body(['--health-retries', 'x'])).toThrow('invalid argument "x" for "--health-retries" flag');
});
