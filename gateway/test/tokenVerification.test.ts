import { setTimeout as sleep } from 'node:timers/promises';
import { startTestIssuer, type TestIssuer } from '@dorandoran/test-support/issuer';
import { startTestRouter } from './helpers/router';

const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@authenticated"])
type Query { whoami: String @authenticated  open: String }`;

describe('token verification at the router', () => {
  let issuer: TestIssuer;
  let router: Awaited<ReturnType<typeof startTestRouter>>;
  beforeAll(async () => {
    issuer = await startTestIssuer();
    router = await startTestRouter(
      [{ name: 'who', typeDefs: SDL, resolvers: { Query: { whoami: () => 'someone', open: () => 'open' } } }],
      { jwksUrl: issuer.jwksUrl },
    );
  });
  afterAll(async () => {
    await router.dispose();
    await issuer.close().catch(() => undefined);
  });
  const as = async (token: string) => ({ authorization: `Bearer ${token}` });

  test('keys are cached: many requests, one JWKS fetch per verifier (router and subgraph)', async () => {
    const token = await issuer.sign({ sub: 'u1' });
    const before = issuer.jwksRequests;
    for (let i = 0; i < 5; i++) expect((await router.execute('{ whoami }', {}, await as(token))).data).toEqual({ whoami: 'someone' });
    expect(issuer.jwksRequests - before).toBeLessThanOrEqual(2);
  });

  test('a token signed with a new key (unknown kid) makes the router refetch the keys', async () => {
    await router.execute('{ whoami }', {}, await as(await issuer.sign({ sub: 'u1' })));
    await issuer.rotate();
    // jose refuses a refetch within its cooldown after the last fetch, so wait it out.
    await sleep(5_100);
    const response = await router.execute('{ whoami }', {}, await as(await issuer.sign({ sub: 'u2' })));
    expect(response).toMatchObject({ status: 200, data: { whoami: 'someone' } });
  });

  test.each([
    ['expired', () => issuer.sign({ sub: 'u', expiresIn: Math.floor(Date.now() / 1000) - 1 }), /expired/],
    ['from another issuer', () => issuer.sign({ sub: 'u', issuer: 'evil' }), /not valid/],
    ['tampered', async () => tamperPayload(await issuer.sign({ sub: 'u' })), /not valid/],
  ])('a token %s → 401 UNAUTHENTICATED, nothing executed', async (_case, token, message) => {
    const response = await router.execute('{ open }', {}, await as(await token()));
    expect(response.status).toBe(401);
    expect(response.data).toBeUndefined();
    expect(response.errors).toEqual([{ message: expect.stringMatching(message), extensions: { code: 'UNAUTHENTICATED' } }]);
  });

  test('a revoked session → 401, other sessions of the user still work', async () => {
    const revoked = await issuer.sign({ sub: 'u3', sid: 'session-a' });
    const other = await issuer.sign({ sub: 'u3', sid: 'session-b' });
    await router.revocations.revokeSession('session-a', 60);
    expect((await router.execute('{ whoami }', {}, await as(revoked))).status).toBe(401);
    expect((await router.execute('{ whoami }', {}, await as(other))).data).toEqual({ whoami: 'someone' });
  });

  test('keys are kept: with the issuer gone, known keys still verify; an unknown key gets 503, not 401', async () => {
    const token = await issuer.sign({ sub: 'u5' });
    expect((await router.execute('{ whoami }', {}, await as(token))).data).toEqual({ whoami: 'someone' });
    const backup = await startTestIssuer();
    const unknownKey = await backup.sign({ sub: 'u6' });
    await backup.close();
    await issuer.close();
    expect((await router.execute('{ whoami }', {}, await as(token))).data).toEqual({ whoami: 'someone' });
    // The router cannot reach any JWKS with that kid: it cannot tell whether the token is good.
    await sleep(5_100);
    const unreachable = await router.execute('{ whoami }', {}, await as(unknownKey));
    expect(unreachable.status).toBe(503);
    expect(unreachable.errors).toEqual([{ message: expect.stringMatching(/auth service is unreachable/), extensions: { code: 'SERVICE_UNAVAILABLE' } }]);
  });

  test('no token: anonymous, so @authenticated fields are filtered and the rest answered', async () => {
    const response = await router.execute('{ whoami open }');
    expect(response.data).toEqual({ whoami: null, open: 'open' });
  });
});

/** Changes the subject claim: the signature no longer matches. (The last base64url character can be mere padding bits.) */
function tamperPayload(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  return [header, Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url'), signature].join('.');
}
