import { tcpPorts } from './engine-executor';

test("tcpPorts: the TCP ports of a container's ExposedPorts, sorted, without udp or junk", () => {
  expect(tcpPorts({ '6379/tcp': {}, '53/udp': {}, '80': {}, '8080/tcp': {}, 'x/tcp': {}, '70000/tcp': {} })).toEqual([
    80, 6379, 8080,
  ]);
  expect(tcpPorts(null)).toEqual([]);
  expect(tcpPorts(undefined)).toEqual([]);
});
