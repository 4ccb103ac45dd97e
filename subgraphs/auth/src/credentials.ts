import { badUserInput } from '@dorandoran/service-kit';

/** Rules for what users type in: emails are compared normalized, passwords need some strength. */

// One @, no spaces, a dot in the domain: strict enough to catch typos, loose enough for real addresses.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export const MAX_EMAIL_LENGTH = 320;

/** Trimmed and lower-cased, so `Kim@Example.com ` and `kim@example.com` are one account. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** A normalized, valid email, or BAD_USER_INPUT naming `field`. */
export function validEmail(field: string, email: string): string {
  const normalized = normalizeEmail(email);
  if (normalized.length > MAX_EMAIL_LENGTH || !EMAIL.test(normalized)) {
    throw badUserInput(field, `"${email.trim()}" is not an email address; use one like name@example.com.`);
  }
  return normalized;
}

/** At least 8 characters with a letter and a digit, or BAD_USER_INPUT naming `field`. */
export function checkPasswordRules(field: string, password: string): void {
  if (password.length < 8 || !/\p{L}/u.test(password) || !/\p{N}/u.test(password)) {
    throw badUserInput(field, 'The password needs at least 8 characters, with at least one letter and one digit.');
  }
  if (password.length > 1024) throw badUserInput(field, 'The password can be at most 1024 characters.');
}
