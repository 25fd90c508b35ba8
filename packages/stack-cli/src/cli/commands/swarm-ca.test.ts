// `swarm ca --rotate`'s progress display: docker's two bars and its rule for when it is done.
import { progressBar, rotationProgress } from './swarm-ca';

const OLD = { TrustRoot: 'OLD', CertIssuerSubject: 'o', CertIssuerPublicKey: 'ok' };
const NEW = { TrustRoot: 'OLD\nNEW', CertIssuerSubject: 'n', CertIssuerPublicKey: 'nk' };

describe('swarm ca --rotate progress', () => {
  test('bars are 50 wide with the count after them', () => {
    expect(progressBar(0, 3)).toBe(`[>${' '.repeat(49)}] 0/3 nodes`);
    expect(progressBar(2, 3)).toBe(`[${'='.repeat(33)}>${' '.repeat(16)}] 2/3 nodes`);
    expect(progressBar(3, 3)).toBe(`[${'='.repeat(50)}>] 3/3 nodes`);
  });

  test('while rotating: certificates count, CA certificates show 0; done once all trust the new root alone', () => {
    const rotating = {
      Version: { Index: 1 },
      Spec: {},
      TLSInfo: { ...OLD, CertIssuerSubject: 'n', CertIssuerPublicKey: 'nk' },
      RootRotationInProgress: true,
    };
    const p = rotationProgress(rotating, [{ Description: { TLSInfo: NEW } }, { Description: { TLSInfo: OLD } }, {}]);
    expect(p.lines[1]).toMatch(/rotated TLS certificates: +\[=+> +\] 1\/3 nodes$/);
    expect(p.lines[2]).toMatch(/rotated CA certificates: +\[> +\] 0\/3 nodes$/);
    expect(p.done).toBe(false);
    const finished = { ...rotating, TLSInfo: { ...NEW, TrustRoot: 'NEW' }, RootRotationInProgress: false };
    const moved = { Description: { TLSInfo: NEW } };
    expect(rotationProgress(finished, [moved, moved]).done).toBe(false);
    const trusting = { Description: { TLSInfo: { ...NEW, TrustRoot: 'NEW' } } };
    const end = rotationProgress(finished, [trusting, trusting]);
    expect(end.done).toBe(true);
    expect(end.lines[2]).toMatch(/2\/2 nodes$/);
    expect(end.lines[0]).toMatch(/^desired root digest: sha256:[0-9a-f]{64}$/);
  });
});
