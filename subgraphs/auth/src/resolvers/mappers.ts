import type { Account } from '../entities/Account.entity';

/** What signUp, logIn and refreshSession hand to AuthPayload: a new token pair and the account it is for. */
export interface AuthPayloadParent {
  accessToken: string;
  /** Null once it went to the browser's cookie (sessionCookie.ts). */
  refreshToken: string | null;
  expiresIn: number;
  user: Account;
}
