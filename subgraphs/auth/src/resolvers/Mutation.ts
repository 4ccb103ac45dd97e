import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { badUserInput, conflict, forbidden, notFound, SERVICE_ACCOUNT_EMAIL, unauthenticated } from '@dorandoran/service-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { checkPasswordRules, MAX_EMAIL_LENGTH, normalizeEmail, validEmail } from '../credentials';
import { Account } from '../entities/Account.entity';
import { setRoles } from '../roles';
import { handOver } from '../sessionCookie';
import { purgeEndedSessions } from '../serviceAccount';

const emailTaken = () => conflict('An account with this email already exists. Sign in, or reset its password.');
const wrongCredentials = () => unauthenticated('Wrong email or password.');
const wrongCode = () => badUserInput('code', 'The code is wrong, used or expired. Ask for a new one with requestPasswordReset.');

export const Mutation: MutationResolvers = {
  async signUp(_parent, { input }, context) {
    const { em, auth } = context;
    const email = validEmail('email', input.email);
    checkPasswordRules('password', input.password);
    if ((await em.count(Account, { email })) > 0) throw emailTaken();
    const passwordHash = await auth.passwords.hash(input.password);
    try {
      // The profile is made inside the account's transaction: if users refuses or is down, the account never existed.
      const payload = await em.transactional(async (tx) => {
        const account = new Account(email, passwordHash);
        account.lastLoginAt = new Date();
        tx.persist(account);
        const signedIn = await auth.sessions.start(tx, account, 'SIGN_UP');
        await auth.users.createProfile({ id: account.id, nickname: input.nickname, email, locale: input.locale ?? undefined });
        return signedIn;
      });
      context.signedInUserId = payload.user.id;
      return handOver(context, payload);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw emailTaken();
      throw error;
    }
  },

  async logIn(_parent, { email: given, password }, context) {
    const { em, auth } = context;
    const email = normalizeEmail(given);
    if (email.length > MAX_EMAIL_LENGTH) throw wrongCredentials(); // no account has it, and it would not fit the attempts table
    // Before the attempt is counted: guesses from outside never lock the batch service out.
    if (email === SERVICE_ACCOUNT_EMAIL && !context.serviceSignIn) {
      throw forbidden('This is the batch service\'s account; it signs in inside the deployment only, never through the router.');
    }
    const account = await em.findOne(Account, { email }, { populate: ['passwordHash'] });
    const ok = await auth.loginGuard.attempt(em, email, () => auth.passwords.verify(account?.passwordHash, password));
    if (!ok || !account) throw wrongCredentials();
    // Told only after the right password, so the status says nothing to someone guessing.
    if (account.status !== 'ACTIVE') throw forbidden('This account is suspended. Contact support.');
    if (auth.passwords.needsRehash(account.passwordHash!)) account.passwordHash = await auth.passwords.hash(password);
    account.lastLoginAt = new Date();
    const payload = await auth.sessions.start(em, account, 'PASSWORD');
    context.signedInUserId = account.id;
    return handOver(context, payload);
  },

  async refreshSession(_parent, { refreshToken: given }, context) {
    const browser = context.browserSession;
    const refreshToken = given ?? browser?.refreshToken;
    try {
      if (!refreshToken) {
        throw unauthenticated(
          browser
            ? 'There is no session to refresh: the session cookie is missing or has expired. Sign in again.'
            : 'Pass the refreshToken that signUp, logIn or the last refreshSession returned.',
        );
      }
      const payload = await context.auth.sessions.refresh(context.em, refreshToken);
      context.signedInUserId = payload.user.id;
      return handOver(context, payload);
    } catch (error) {
      // A refused refresh leaves the browser nothing worth keeping.
      if (browser) browser.cookie = 'clear';
      throw error;
    }
  },

  async logOut(_parent, _args, { em, viewer, auth, browserSession }) {
    await auth.sessions.end(em, [viewer!.sessionId]);
    if (browserSession) browserSession.cookie = 'clear';
    return true;
  },

  async logOutEverywhere(_parent, _args, { em, viewer, auth, browserSession }) {
    await auth.sessions.endAll(em, viewer!.userId);
    if (browserSession) browserSession.cookie = 'clear';
    return true;
  },

  async changePassword(_parent, { currentPassword, newPassword }, { em, viewer, auth }) {
    checkPasswordRules('newPassword', newPassword);
    const account = await em.findOne(Account, { id: viewer!.userId, status: 'ACTIVE' }, { populate: ['passwordHash'] });
    if (!account?.email) throw notFound('User', viewer!.userId);
    // Wrong guesses count toward the sign-in lockout, so a stolen access token cannot be used to guess the password.
    const ok = await auth.loginGuard.attempt(em, account.email, () => auth.passwords.verify(account.passwordHash, currentPassword));
    if (!ok) throw badUserInput('currentPassword', 'The current password is wrong.');
    account.passwordHash = await auth.passwords.hash(newPassword);
    await em.flush();
    await auth.sessions.endAll(em, account.id, viewer!.sessionId);
    return true;
  },

  async requestPasswordReset(_parent, { email: given }, { em, auth }) {
    await auth.resetCodes.request(em, validEmail('email', given));
    return true;
  },

  async resetPassword(_parent, { email: given, code, newPassword }, { em, auth }) {
    checkPasswordRules('newPassword', newPassword);
    if (!/^\d{6}$/.test(code.trim())) throw badUserInput('code', 'The code is the 6 digits from the reset email.');
    const email = normalizeEmail(given);
    if (email.length > MAX_EMAIL_LENGTH) throw wrongCode(); // no account has it, and it would not fit the attempts table
    const account = await em.findOne(Account, { email, status: 'ACTIVE' });
    // Wrong codes count toward the sign-in lockout, and a right one clears it, as a password does.
    const ok = await auth.loginGuard.attempt(em, email, () => auth.resetCodes.redeem(em, account, code.trim()));
    if (!ok || !account) throw wrongCode();
    account.passwordHash = await auth.passwords.hash(newPassword);
    await em.flush();
    await auth.sessions.endAll(em, account.id);
    return true;
  },

  async setUserRoles(_parent, { userId, roles }, { em, auth }) {
    const { account, demoted } = await setRoles(em, userId, roles);
    // Access tokens carry the scopes they were issued with: a former admin signs in again to lose them.
    if (demoted) await auth.sessions.endAll(em, account.id);
    return account;
  },

  purgeEndedSessions: (_parent, _args, { em }) => purgeEndedSessions(em),
};
