import {
  buildAnswer,
  buildError,
  buildQuery,
  DnsWireError,
  isResponse,
  parseQuery,
  parseResponse,
  RCODE,
  reverseAddress,
  TYPE,
  UDP_PAYLOAD,
} from './wire';

/** The first element, which the test needs: fails clearly when there is none. */
function firstOf<T>(xs: readonly T[]): T {
  const [x] = xs;
  if (x === undefined) throw new Error('expected at least one element');
  return x;
}

/** A query for `labels` written byte by byte, as RFC 1035 4.1 lays it out. */
function handQuery(
  id: number,
  labels: string[],
  type = 1,
  extra: number[] = [],
  counts = { qd: 1, an: 0, ns: 0, ar: 0 },
): Buffer {
  const name = labels.flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Buffer.from([
    id >> 8,
    id & 255,
    0x01,
    0x00, // RD
    0,
    counts.qd,
    0,
    counts.an,
    0,
    counts.ns,
    0,
    counts.ar,
    ...name,
    0,
    0,
    type,
    0,
    1,
    ...extra,
  ]);
}

describe('parseQuery', () => {
  it('reads the header and the question, lowercasing the name and keeping its bytes', () => {
    const q = parseQuery(handQuery(0xbeef, ['Web', 'MyNet']));
    expect(q.id).toBe(0xbeef);
    expect(q.rd).toBe(true);
    expect(q.opcode).toBe(0);
    expect(q.questions).toHaveLength(1);
    expect(q.questions[0]?.name).toBe('web.mynet');
    expect(q.questions[0]?.type).toBe(TYPE.A);
    expect(q.questions[0]?.class).toBe(1);
    expect(q.questions[0]?.raw.toString('latin1')).toBe('\x03Web\x05MyNet\x00');
    expect(q.ednsPayload).toBeUndefined();
  });

  it('tolerates an EDNS OPT record and reads the payload size from it', () => {
    const opt = [0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]; // root, OPT, 4096, ttl 0, rdlen 0
    const q = parseQuery(handQuery(7, ['redis'], 1, opt, { qd: 1, an: 0, ns: 0, ar: 1 }));
    expect(q.questions[0]?.name).toBe('redis');
    expect(q.ednsPayload).toBe(4096);
  });

  it('reads the root name as ""', () => {
    expect(parseQuery(handQuery(1, [], 2)).questions[0]?.name).toBe('');
  });

  it('follows a backwards compression pointer and refuses a forward or looping one', () => {
    // two questions: "a.example" and "b" + pointer to "example" at offset 14
    const msg = Buffer.from([
      0,
      9,
      1,
      0,
      0,
      2,
      0,
      0,
      0,
      0,
      0,
      0,
      1,
      97,
      7,
      ...Buffer.from('example'),
      0,
      0,
      1,
      0,
      1,
      1,
      98,
      0xc0,
      14,
      0,
      1,
      0,
      1,
    ]);
    expect(parseQuery(msg).questions.map((q) => q.name)).toEqual(['a.example', 'b.example']);
    const self = Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(() => parseQuery(self)).toThrow(DnsWireError);
    const forward = Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 30, 0, 1, 0, 1]);
    expect(() => parseQuery(forward)).toThrow(/compression pointer/);
  });

  it.each([
    ['empty', Buffer.alloc(0), undefined],
    ['one byte', Buffer.from([1]), undefined],
    ['a header cut short', Buffer.from([0, 5, 1, 0, 0, 1, 0, 0]), 5],
    ['a question without its name', Buffer.from([0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), 5],
    ['a label running past the end', Buffer.from([0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 97, 98]), 5],
    ['a question without type and class', Buffer.from([0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 97, 0, 0]), 5],
    ['an unknown label type', Buffer.from([0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 97, 0, 0, 1, 0, 1]), 5],
    ['an additional record cut short', handQuery(5, ['a'], 1, [0, 0, 41, 0x10], { qd: 1, an: 0, ns: 0, ar: 1 }), 5],
    [
      'record data past the end',
      handQuery(5, ['a'], 1, [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 9, 1], { qd: 1, an: 0, ns: 0, ar: 1 }),
      5,
    ],
    ['more questions than the message holds', handQuery(5, ['a'], 1, [], { qd: 3, an: 0, ns: 0, ar: 0 }), 5],
  ])('throws DnsWireError (never anything else) for %s, with the ID when there is one', (_what, msg, id) => {
    let err: unknown;
    try {
      parseQuery(msg);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DnsWireError);
    expect((err as DnsWireError).id).toBe(id);
  });

  it('refuses names longer than 255 bytes', () => {
    const labels = Array.from({ length: 5 }, () => 'x'.repeat(63));
    expect(() => parseQuery(handQuery(3, labels))).toThrow(/255/);
  });

  it('never throws anything but DnsWireError on random bytes', () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    for (let i = 0; i < 5000; i++) {
      const msg = Buffer.from(Array.from({ length: rnd() % 64 }, rnd));
      try {
        parseQuery(msg);
      } catch (e) {
        if (!(e instanceof DnsWireError)) throw new Error(`seed run ${i}: ${String(e)} for ${msg.toString('hex')}`);
      }
    }
  });
});

describe('buildAnswer', () => {
  const question = firstOf(parseQuery(handQuery(0x1234, ['Redis'])).questions);

  it('answers A records with the ID, flags, echoed question and TTL', () => {
    const a = buildAnswer({
      id: 0x1234,
      rcode: RCODE.NOERROR,
      rd: true,
      aa: true,
      question,
      addresses: ['10.1.2.3', '10.1.2.4'],
      ttl: 10,
    });
    expect(isResponse(a)).toBe(true);
    const r = parseResponse(a);
    expect(r).toMatchObject({ id: 0x1234, rcode: 0, aa: true, tc: false });
    expect(r.questions[0]?.raw.toString('latin1')).toBe('\x05Redis\x00');
    expect(r.answers).toEqual([
      { type: TYPE.A, ttl: 10, data: '10.1.2.3' },
      { type: TYPE.A, ttl: 10, data: '10.1.2.4' },
    ]);
    // RD echoed, RA set
    expect(a.readUInt8(2) & 0x01).toBe(1);
    expect(a.readUInt8(3) & 0x80).toBe(0x80);
  });

  it('NXDOMAIN, SERVFAIL and NOERROR without answers carry no records', () => {
    for (const rcode of [RCODE.NXDOMAIN, RCODE.SERVFAIL, RCODE.NOERROR]) {
      const r = parseResponse(buildAnswer({ id: 1, rcode, question }));
      expect(r.rcode).toBe(rcode);
      expect(r.answers).toEqual([]);
      expect(r.questions).toHaveLength(1);
    }
  });

  it('FORMERR without a question is a bare header', () => {
    const a = buildError(77, RCODE.FORMERR);
    expect(a).toHaveLength(12);
    expect(parseResponse(a)).toMatchObject({ id: 77, rcode: RCODE.FORMERR, questions: [], answers: [] });
  });

  it('cuts answers at a record boundary and sets TC when they do not fit', () => {
    const addresses = Array.from({ length: 100 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const udp = buildAnswer({ id: 2, rcode: 0, question, addresses, ttl: 1 });
    expect(udp.length).toBeLessThanOrEqual(UDP_PAYLOAD);
    const r = parseResponse(udp);
    expect(r.tc).toBe(true);
    expect(r.answers.length).toBeGreaterThan(20);
    expect(r.answers.length).toBeLessThan(100);
    const tcp = parseResponse(buildAnswer({ id: 2, rcode: 0, question, addresses, ttl: 1, maxSize: 65535 }));
    expect(tcp.tc).toBe(false);
    expect(tcp.answers).toHaveLength(100);
  });

  it('answers PTR with the target name', () => {
    const q = firstOf(parseQuery(buildQuery(3, '3.2.1.10.in-addr.arpa', TYPE.PTR)).questions);
    const r = parseResponse(buildAnswer({ id: 3, rcode: 0, question: q, ptr: 'web.mynet', ttl: 10 }));
    expect(r.answers).toEqual([{ type: TYPE.PTR, ttl: 10, data: 'web.mynet' }]);
  });
});

describe('helpers', () => {
  it('buildQuery and parseQuery agree, with and without EDNS', () => {
    const q = parseQuery(buildQuery(9, 'a.b.c.', TYPE.AAAA, { edns: 1232 }));
    expect(q).toMatchObject({ id: 9, rd: true, ednsPayload: 1232 });
    expect(q.questions[0]).toMatchObject({ name: 'a.b.c', type: TYPE.AAAA });
  });

  it('reverseAddress reads in-addr.arpa names only', () => {
    expect(reverseAddress('4.3.2.1.in-addr.arpa')).toBe('1.2.3.4');
    expect(reverseAddress('4.3.2.in-addr.arpa')).toBeUndefined();
    expect(reverseAddress('400.3.2.1.in-addr.arpa')).toBeUndefined();
    expect(reverseAddress('web')).toBeUndefined();
  });
});
