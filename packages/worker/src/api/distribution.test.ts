import { distributionInspect } from './distribution';
import { RegistryLookupError } from './errors';

describe('GET /distribution/{name}/json', () => {
  test('a well-formed reference is an error status naming the image, so the docker CLI warns and goes on', () => {
    let e: unknown;
    try {
      distributionInspect('web');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(RegistryLookupError);
    expect((e as RegistryLookupError).status).toBe(500);
    expect((e as Error).message).toMatch(/^image web:latest could not be looked up on a registry/);
    expect(() => distributionInspect('localhost:5000/app:1')).toThrow(/image localhost:5000\/app:1 could not/);
  });

  test('a malformed reference is a 400', () => {
    expect(() => distributionInspect('UPPER/Case')).toThrow(
      expect.objectContaining({ status: 400, message: 'invalid reference format: UPPER/Case' }),
    );
  });
});
