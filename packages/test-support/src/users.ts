import { randomBytes } from 'node:crypto';
import { bearer, post } from './graphql';
import type { Stack } from './stack';

export interface SignedIn {
  id: string;
  email: string;
  password: string;
  nickname: string;
  accessToken: string;
  refreshToken: string;
  headers: { authorization: string };
}

export const SIGN_UP = `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { accessToken refreshToken expiresIn user { id nickname email roles status } }
}`;

export const LOG_IN = `mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { accessToken refreshToken expiresIn user { id } }
}`;

export const REFRESH = `mutation Refresh($token: String!) {
  refreshSession(refreshToken: $token) { accessToken refreshToken expiresIn user { id } }
}`;

export const uniqueEmail = (prefix = 'user') => `${prefix}.${randomBytes(4).toString('hex')}@example.com`;

/** Signs a new user up through the router. */
export async function signUp(stack: Stack, overrides: Partial<{ email: string; password: string; nickname: string }> = {}): Promise<SignedIn> {
  const input = { email: uniqueEmail(), password: 'correct horse 42', nickname: 'Mina Kim', ...overrides };
  const response = await post(stack.routerUrl, SIGN_UP, { input });
  if (!response.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(response.errors)}`);
  const { accessToken, refreshToken, user } = response.data.signUp;
  return { id: user.id, ...input, accessToken, refreshToken, headers: bearer(accessToken) };
}

/** Makes an administrator: sign up, grant ADMIN the way an operator does, sign in again for a token with the admin scope. */
export async function signUpAdmin(stack: Stack): Promise<SignedIn> {
  const user = await signUp(stack, { nickname: 'Admin' });
  await stack.grantAdmin(user.email);
  const response = await post(stack.routerUrl, LOG_IN, { email: user.email, password: user.password });
  const { accessToken, refreshToken } = response.data!.logIn;
  return { ...user, accessToken, refreshToken, headers: bearer(accessToken) };
}
