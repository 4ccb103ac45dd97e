import type { JWTVerifyGetKey } from 'jose';
import { startTestIssuer, TEST_AUDIENCE, TEST_ISSUER, type TestIssuer } from '@dorandoran/test-support/issuer';
import { createTokenVerifier, remoteKeys, type TokenVerifier } from '../src/identity';
import { createMemoryRevocationStore, type RevocationStore } from '../src/revocations';

/** The token verifier every service runs: a token verified once is not verified again until it expires, but still checked for revocation. */
let issuer: TestIssuer;
let revocations: RevocationStore;
let verifier: TokenVerifier;
/** How many times the verifier needed a key: once per signature it checked. */
let keyLookups: number;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(() => issuer.close());
beforeEach(() => {
  const keys = remoteKeys(issuer.jwksUrl);
  keyLookups = 0;
  const counted: JWTVerifyGetKey = (...args) => {
    keyLookups++;
    return keys(...args);
  };
  revocations = createMemoryRevocationStore();
  verifier = createTokenVerifier({ keys: counted, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, revocations });
});

const sessionOf = async (token: string) => (await verifier.verify(`Bearer ${token}`))?.sessionId;

test('the same token again is not verified again: its signature is checked once', async () => {
  const token = await issuer.sign({ sub: 'u1', sid: 's1', scope: 'user' });
  expect(await sessionOf(token)).toBe('s1');
  expect(await sessionOf(token)).toBe('s1');
  expect(keyLookups).toBe(1);
  const other = await issuer.sign({ sub: 'u2', sid: 's2', scope: 'user' });
  expect(await sessionOf(other)).toBe('s2');
  expect(keyLookups).toBe(2);
});

test('a token verified before is refused once it is revoked', async () => {
  const token = await issuer.sign({ sub: 'u1', sid: 's-revoked', scope: 'user' });
  expect(await sessionOf(token)).toBe('s-revoked');
  await revocations.revokeSession('s-revoked', 60);
  await expect(verifier.verify(`Bearer ${token}`)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
});

test('a token verified before is refused as expired once it has expired', async () => {
  // Expiry is in whole seconds: 2 s leaves at least one for the first check.
  const token = await issuer.sign({ sub: 'u1', sid: 's1', scope: 'user', expiresIn: '2s' });
  expect(await sessionOf(token)).toBe('s1');
  await new Promise((resolve) => setTimeout(resolve, 3100));
  await expect(verifier.verify(`Bearer ${token}`)).rejects.toThrow(/expired/);
});

test('a token with a changed signature is refused, even after the real one was verified', async () => {
  const token = await issuer.sign({ sub: 'u1', sid: 's1', scope: 'user' });
  expect(await sessionOf(token)).toBe('s1');
  const forged = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
  await expect(verifier.verify(`Bearer ${forged}`)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
});
