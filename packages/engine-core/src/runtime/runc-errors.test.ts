import { ConflictError, EngineError } from '../errors';
import { runcStateError } from './runc-errors';

describe('runcStateError', () => {
  it('a container that exited between the check and runc is a 409 "not running" (the API fuzz found it as a 500)', () => {
    const e = runcStateError(
      'abc',
      'pause',
      'time="2026-11-24T01:04:17Z" level=error msg="container does not exist"\n',
    );
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('Container abc is not running');
  });
  it("any other runc failure stays a daemon error with runc's words", () => {
    const e = runcStateError('abc', 'unpause', 'permission denied\n');
    expect(e).toBeInstanceOf(EngineError);
    expect(e).not.toBeInstanceOf(ConflictError);
    expect(e.message).toBe('cannot unpause container abc: permission denied');
  });
});
