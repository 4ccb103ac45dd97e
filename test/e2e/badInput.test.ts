import { post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { SIGN_UP, signUp, uniqueEmail } from '@dorandoran/test-support/users';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

const signUpWith = (input: Record<string, unknown>) =>
  post(stack.routerUrl, SIGN_UP, { input: { email: uniqueEmail(), password: 'good-pass-1', nickname: 'Neo', ...input } });

describe('bad input gets a 4xx with a clear code, never a 5xx', () => {
  test.each([
    ['a bad email', { email: 'not-an-email' }, 'email'],
    ['a short password', { password: 'a1b2' }, 'password'],
    ['a password without a digit', { password: 'only-letters' }, 'password'],
    ['a password without a letter', { password: '1234567890' }, 'password'],
    ['a one-letter nickname', { nickname: ' x ' }, 'nickname'],
  ])('signUp with %s → 400 BAD_USER_INPUT naming the field', async (_case, input, field) => {
    const response = await signUpWith(input);
    expect(response.status).toBe(400);
    expect(response.data).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(response.errors![0].message.length).toBeGreaterThan(10);
  });

  test('a nickname refused by users leaves no account behind: the email can sign up again', async () => {
    const email = uniqueEmail('retry');
    expect((await signUpWith({ email, nickname: 'x' })).status).toBe(400);
    const again = await signUpWith({ email, nickname: 'Proper Name' });
    expect(again.errors).toBeUndefined();
    expect(again.data!.signUp.user.nickname).toBe('Proper Name');
  });

  test('signing up twice with one email → 409 CONFLICT', async () => {
    const user = await signUp(stack);
    const response = await signUpWith({ email: user.email.toUpperCase() });
    expect(response.status).toBe(409);
    expect(response.errors![0].extensions!.code).toBe('CONFLICT');
  });

  test('a body that is not JSON → 400', async () => {
    const response = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0].message).toMatch(/JSON/);
  });

  test('an unknown field → 400 GRAPHQL_VALIDATION_FAILED naming it', async () => {
    const response = await post(stack.routerUrl, '{ me { id shoeSize } }');
    expect(response.status).toBe(400);
    expect(response.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.errors![0].message).toMatch(/shoeSize/);
  });

  test('a variable of the wrong type → 400 BAD_USER_INPUT', async () => {
    const response = await post(stack.routerUrl, 'query($id: ID!) { user(id: $id) { id } }', { id: { nested: true } });
    expect(response.status).toBe(400);
    expect(response.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(response.errors![0].message).toMatch(/\$id/);
  });

  test('a query that does not parse → 400 GRAPHQL_PARSE_FAILED', async () => {
    const response = await post(stack.routerUrl, '{ me { id }');
    expect(response.status).toBe(400);
    expect(response.errors![0].extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  test('internal fields are not part of the public graph', async () => {
    const response = await post(stack.routerUrl, 'mutation { createProfile(input: { id: "x", nickname: "Eve", email: "e@x.io" }) { id } }');
    expect(response.status).toBe(400);
    expect(response.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  test('a body over the size limit (MAX_BODY_BYTES, 256 KiB) → 413 PAYLOAD_TOO_LARGE', async () => {
    const response = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ me { id } } #${'x'.repeat(512 * 1024)}` }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('subgraphs are not public', () => {
  test('a direct call without the router secret → 403 ROUTER_SECRET_REQUIRED, with a valid user token too', async () => {
    const user = await signUp(stack);
    for (const url of [stack.authUrl, stack.usersUrl, stack.chatUrl, stack.storeUrl, stack.batchUrl]) {
      for (const headers of [{}, user.headers]) {
        const response = await post(url, '{ _service { sdl } }', {}, headers);
        expect(response.status).toBe(403);
        expect(response.errors![0].extensions!.code).toBe('ROUTER_SECRET_REQUIRED');
      }
    }
    const internal = await post(
      stack.usersUrl,
      'mutation { createProfile(input: { id: "0193aaaa-0000-7000-8000-000000000001", nickname: "Eve", email: "e@x.io" }) { id } }',
      {},
      user.headers,
    );
    expect(internal.status).toBe(403);
  });
});
