import { randomBytes, type JsonWebKey } from 'node:crypto';
import { bearer, post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { SIGN_UP, uniqueEmail, type SignedIn } from '@dorandoran/test-support/users';
import { budgetCases, headerCases, privacyCases, tokenCases } from './cases/identity';
import { claimsFor, es256, hs256, newSigningKey, pemOf, serveTrustedJwks, unsigned, type TrustedJwks } from './forgedTokens';
import { cpuLedger, runHttpCases, type Fixtures } from './harness';

/**
 * Hostile tokens and headers, least-privilege reads and the budgets, against one production stack
 * with every rate limit at its default. The router trusts one proxy hop, so each budget case sends
 * from its own X-Forwarded-For address and the fixtures' sign-ups spend from another.
 */

let stack: Stack;
let jwks: TrustedJwks;
let fixtures: Fixtures;
const ledger = cpuLedger('hostile identity');
const trusted = newSigningKey();
const stranger = newSigningKey();

const SETUP_ADDRESS = { 'x-forwarded-for': '192.0.2.10' };

async function signUpAs(prefix: string): Promise<SignedIn> {
  const input = { email: uniqueEmail(prefix), password: 'correct horse 42', nickname: `${prefix} Kim` };
  const response = await post(stack.routerUrl, SIGN_UP, { input }, SETUP_ADDRESS);
  if (!response.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(response.errors)}`);
  const { accessToken, refreshToken, user } = response.data.signUp;
  return { id: user.id, ...input, accessToken, refreshToken, headers: bearer(accessToken) };
}

/** Swaps one character in the middle of the signature. */
function alterSignature(token: string): string {
  const [header, payload, signature] = token.split('.');
  const i = Math.floor(signature.length / 2);
  return `${header}.${payload}.${signature.slice(0, i)}${signature[i] === 'A' ? 'B' : 'A'}${signature.slice(i + 1)}`;
}

function withPayload(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
}

async function forgeTokens(victim: SignedIn, other: SignedIn, loggedOut: string): Promise<Record<string, string>> {
  const { keys } = (await (await fetch(stack.authUrl.replace(/\/graphql$/, '/.well-known/jwks.json'))).json()) as { keys: (JsonWebKey & { kid: string })[] };
  const authKey = keys[0];
  const valid = claimsFor(victim.id);
  const victimClaims = JSON.parse(Buffer.from(victim.accessToken.split('.')[1], 'base64url').toString());
  return {
    alteredSignature: alterSignature(victim.accessToken),
    tamperedPayload: withPayload(victim.accessToken, { ...victimClaims, sub: other.id }),
    algNone: unsigned({ alg: 'none', typ: 'JWT' }, valid),
    algNoneSigned: unsigned({ alg: 'none', kid: authKey.kid }, valid, 'c2lnbmF0dXJl'),
    hs256Jwk: hs256(JSON.stringify(authKey), valid, { kid: authKey.kid }),
    hs256Pem: hs256(pemOf(authKey), valid, { kid: authKey.kid }),
    rs256: unsigned({ alg: 'RS256', kid: authKey.kid }, valid, randomBytes(256).toString('base64url')),
    strangerAuthKid: es256(stranger, valid, { kid: authKey.kid }),
    unknownKid: es256(stranger, valid),
    noKid: es256(stranger, valid, { kid: undefined }),
    traversalKid: es256(stranger, valid, { kid: '../../../../../dev/null' }),
    hugeKid: es256(stranger, valid, { kid: 'k'.repeat(8000) }),
    jku: es256(stranger, valid, { jku: 'http://127.0.0.1:9/.well-known/jwks.json' }),
    embeddedJwk: es256(stranger, valid, { jwk: stranger.jwk }),
    expired: es256(trusted, claimsFor(victim.id, { iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 600 })),
    notYetValid: es256(trusted, claimsFor(victim.id, { nbf: Math.floor(Date.now() / 1000) + 3600 })),
    wrongAudience: es256(trusted, claimsFor(victim.id, { aud: 'someone-else' })),
    wrongIssuer: es256(trusted, claimsFor(victim.id, { iss: 'evil-issuer' })),
    noSub: es256(trusted, claimsFor(undefined)),
    crit: es256(trusted, valid, { crit: ['x-custom'], 'x-custom': true }),
    loggedOut,
    trusted: es256(trusted, claimsFor(victim.id, { scope: 'user' })),
  };
}

beforeAll(async () => {
  jwks = await serveTrustedJwks(trusted);
  stack = await startStack({
    NODE_ENV: 'production',
    MAIL_TRANSPORT: 'log',
    PAYMENT_PROVIDER: 'sandbox',
    SERVICE_ACCOUNT_PASSWORD: randomBytes(18).toString('base64url'),
    AUTH_JWKS_URL: jwks.url,
    TRUST_PROXY_HOPS: '1',
    RATE_LIMIT_IP: '600',
    RATE_LIMIT_USER: '300',
    RATE_LIMIT_AUTH: '10',
    RATE_LIMIT_COST: '100000',
  });
  jwks.setUpstream(stack.authUrl.replace(/\/graphql$/, '/.well-known/jwks.json'));
  const victim = await signUpAs('victim');
  const other = await signUpAs('other');
  const leaver = await signUpAs('leaver');
  await post(stack.routerUrl, 'mutation { logOut }', {}, leaver.headers);
  const room = await post(stack.routerUrl, 'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'DIRECT', memberIds: [victim.id] } }, other.headers);
  if (!room.data?.createChatRoom) throw new Error(`createChatRoom failed: ${JSON.stringify(room.errors)}`);
  fixtures = { routerUrl: stack.routerUrl, victim, other, roomId: room.data.createChatRoom.id, tokens: await forgeTokens(victim, other, leaver.accessToken) };
});

afterAll(async () => {
  ledger.report();
  await stack?.close();
  await jwks?.close();
});

const current = () => fixtures;

runHttpCases('hostile tokens', tokenCases, current, ledger);
runHttpCases('hostile headers', headerCases, current, ledger);
runHttpCases('least-privilege reads', privacyCases, current, ledger);
runHttpCases('budgets at their defaults', budgetCases, current, ledger);
