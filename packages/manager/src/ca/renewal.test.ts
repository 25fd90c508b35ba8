import { renewalDelayMs, renewalRetryMs } from './renewal';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const DAY = 24 * 3600 * 1000;

describe('node certificate renewal schedule', () => {
  test('a fresh 90-day certificate is renewed between day 45 and day 72', () => {
    const notAfter = new Date(NOW + 90 * DAY);
    expect(renewalDelayMs(notAfter, NOW, () => 0)).toBe(45 * DAY);
    expect(renewalDelayMs(notAfter, NOW, () => 1)).toBe(72 * DAY);
    expect(renewalDelayMs(notAfter, NOW, () => 0.5)).toBe(58.5 * DAY);
  });

  test('what is left counts: a certificate half gone is renewed within the next 50-80% of the rest', () => {
    const notAfter = new Date(NOW + 10_000);
    expect(renewalDelayMs(notAfter, NOW, () => 0)).toBe(5000);
    expect(renewalDelayMs(notAfter, NOW, () => 1)).toBe(8000);
  });

  test('an expired or nearly expired certificate is tried again after the floor, not in a tight loop', () => {
    expect(renewalDelayMs(new Date(NOW - DAY), NOW)).toBe(1000);
    expect(renewalDelayMs(new Date(NOW + 10), NOW, () => 0.5, 250)).toBe(250);
  });

  test('a failed renewal is retried within a minute and well before the end', () => {
    expect(renewalRetryMs(new Date(NOW + 90 * DAY), NOW)).toBe(60_000);
    expect(renewalRetryMs(new Date(NOW + 20_000), NOW)).toBe(2000);
    expect(renewalRetryMs(new Date(NOW - 1), NOW)).toBe(1000);
  });
});
