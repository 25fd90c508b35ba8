import { dataPaths } from '../paths';
import { chainRules, parseSave } from './iptables';
import { IFNAMSIZ_MAX, macFromIp, networkNames } from './names';

const names = networkNames(dataPaths('/var/lib/flotilla-test'));
const id = 'ab'.repeat(32);

test('device names fit IFNAMSIZ and carry the daemon instance', () => {
  for (const n of [names.bridge(0), names.bridge(999999), names.hostVeth()]) {
    expect(n.length).toBeLessThanOrEqual(IFNAMSIZ_MAX);
    expect(n).toContain(names.instance);
  }
  expect(names.hostVeth()).not.toBe(names.hostVeth());
  expect(names.hostVeth().startsWith(names.vethPrefix)).toBe(true);
  expect(names.bridge(3).startsWith(names.bridgePrefix)).toBe(true);
  expect(names.netnsPath(id)).toBe(`/run/flotilla/${names.instance}/netns/${id.slice(0, 12)}`);
});

test('MAC addresses follow docker: 02:42 + the IPv4 bytes', () => {
  expect(macFromIp('198.19.0.2')).toBe('02:42:c6:13:00:02');
});

test('NAT rules: masquerade out of other interfaces, accept forwarding; internal networks drop', () => {
  const text = chainRules(names, [
    { bridge: 'flx-0', subnet: '198.19.0.0/24', internal: false },
    { bridge: 'flx-1', subnet: '198.19.1.0/24', internal: true },
  ]);
  expect(text).toContain(`:${names.natChain} - [0:0]`);
  expect(text).toContain(`-A ${names.natChain} -s 198.19.0.0/24 ! -o flx-0 -j MASQUERADE`);
  expect(text).not.toContain('198.19.1.0/24');
  expect(text).toContain(`-A ${names.filterChain} -i flx-1 ! -o flx-1 -j DROP`);
  expect(text.match(/^COMMIT$/gm)).toHaveLength(2);
});

test('parseSave finds our jumps and chains only', () => {
  const save = `*nat\n:POSTROUTING ACCEPT [0:0]\n:${names.natChain} - [0:0]\n-A POSTROUTING -j ${names.natChain}\nCOMMIT\n`;
  expect(parseSave(save, names)).toEqual({ natJump: true, filterJump: false, natChain: true, filterChain: false });
});
