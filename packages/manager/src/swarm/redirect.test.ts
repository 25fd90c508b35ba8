import * as grpc from '@grpc/grpc-js';
import { leaderAddrOf, notLeaderStatus } from './redirect';

test('a follower refusal carries the leader address in its metadata', () => {
  const e = notLeaderStatus('not the leader', '10.0.0.1:2377');
  expect(e.code).toBe(grpc.status.UNAVAILABLE);
  expect(leaderAddrOf(e)).toBe('10.0.0.1:2377');
});

test('no leader known: no address', () => {
  expect(leaderAddrOf(notLeaderStatus('x', null))).toBeNull();
  expect(leaderAddrOf(new Error('plain'))).toBeNull();
});
