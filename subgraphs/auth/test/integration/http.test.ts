import { decodeProtectedHeader } from 'jose';
import { post } from '@dorandoran/test-support/graphql';
import { codeOf, startAuthHarness, type AuthHarness } from '../helpers/harness';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(() => h?.close());

const jwksUrl = () => h.url.replace('/graphql', '/.well-known/jwks.json');

describe('GET /.well-known/jwks.json', () => {
  test('serves the public signing key only, cacheable, with the kid tokens carry', async () => {
    const response = await fetch(jwksUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: expect.any(String), alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
    const user = await h.signUp();
    expect(decodeProtectedHeader(user.accessToken).kid).toBe(keys[0].kid);
  });
});

describe('who may call the subgraph', () => {
  test('without the router secret: 403 ROUTER_SECRET_REQUIRED, a valid token or not', async () => {
    const user = await h.signUp();
    for (const headers of [{}, user.headers, { 'x-router-secret': 'guess' }] as Record<string, string>[]) {
      const response = await post(h.url, 'mutation { requestPasswordReset(email: "a@example.com") }', {}, headers);
      expect(response.status).toBe(403);
      expect(codeOf(response)).toBe('ROUTER_SECRET_REQUIRED');
    }
    expect((await post(h.url, '{ _service { sdl } }', {}, user.headers)).status).toBe(403);
  });

  test('a forged token with the router secret: 401', async () => {
    const forged = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    expect((await post(h.url, '{ _service { sdl } }', {}, { ...h.trusted, authorization: `Bearer ${forged}` })).status).toBe(401);
  });

  test('the router (secret) gets the SDL without a token', async () => {
    const response = await post(h.url, '{ _service { sdl } }', {}, h.trusted);
    expect(response.data!._service.sdl).toMatch(/setUserRoles/);
  });
});
