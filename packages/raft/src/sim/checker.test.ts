// The simulation's safety checker catches each of Raft's safety properties (Figure 3) when broken.
import { EntryType, type Entry } from '../types';
import { SafetyChecker } from './checker';
import { SafetyViolation } from './errors';

const e = (index: number, term: number, s = ''): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: new TextEncoder().encode(s),
});

describe('SafetyChecker', () => {
  test('two leaders in one term violate election safety', () => {
    const c = new SafetyChecker();
    c.onLeader('a', 3, () => 0);
    expect(() => c.onLeader('b', 3, () => 0)).toThrow(/election safety/);
  });

  test('a leader missing an applied entry violates leader completeness', () => {
    const c = new SafetyChecker();
    c.onApply('a', e(5, 2, 'x'));
    expect(() => c.onLeader('b', 4, (i) => (i === 5 ? 3 : 2))).toThrow(/leader completeness/);
    expect(() => c.onLeader('c', 5, () => 2)).not.toThrow();
  });

  test('different entries applied at one index violate state machine safety', () => {
    const c = new SafetyChecker();
    c.onApply('a', e(2, 2, 'x'));
    expect(() => c.onApply('b', e(2, 2, 'y'))).toThrow(SafetyViolation);
  });

  test('same index and term with different content or history violates log matching', () => {
    const c = new SafetyChecker();
    c.onStore('a', e(4, 2, 'x'), 1);
    expect(() => c.onStore('b', e(4, 2, 'x'), 2)).toThrow(/log matching/);
    expect(() => c.onStore('b', e(4, 2, 'z'), 1)).toThrow(/log matching/);
    const logs = new Map([
      ['a', [e(2, 1, 'p'), e(3, 2, 'q')]],
      ['b', [e(2, 1, 'other'), e(3, 2, 'q')]],
    ]);
    expect(() => c.compareLogs(logs)).toThrow(/agree at index 3 but differ at 2/);
    expect(() =>
      c.compareLogs(
        new Map([
          ['a', [e(2, 1, 'p'), e(3, 2, 'q')]],
          ['b', [e(2, 1, 'p'), e(3, 3, 'r')]],
        ]),
      ),
    ).not.toThrow();
  });
});
