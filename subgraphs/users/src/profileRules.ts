import { badUserInput } from '@dorandoran/service-kit';

/** Validation of profile fields, shared by createProfile and updateProfile. Returns the cleaned value. */

const CONTROL = /[\u0000-\u001f\u007f]/;

export function cleanNickname(value: string): string {
  const nickname = value.trim().replace(/\s+/g, ' ');
  if (nickname.length < 2 || nickname.length > 30) {
    throw badUserInput('nickname', `The nickname must be 2 to 30 characters after trimming; it has ${nickname.length}.`);
  }
  if (CONTROL.test(nickname)) throw badUserInput('nickname', 'The nickname cannot contain control characters.');
  return nickname;
}

export function cleanAvatarUrl(value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUserInput('avatarUrl', 'The avatar URL must be an absolute http(s) URL, e.g. https://example.com/me.png.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw badUserInput('avatarUrl', `The avatar URL must use http or https, not ${url.protocol.replace(':', '')}.`);
  }
  if (text.length > 2048) throw badUserInput('avatarUrl', 'The avatar URL must be at most 2048 characters.');
  return text;
}

export function cleanBio(value: string | null): string | null {
  if (value === null) return null;
  const bio = value.trim();
  if (bio.length > 500) throw badUserInput('bio', `The bio must be at most 500 characters; it has ${bio.length}.`);
  return bio === '' ? null : bio;
}

const LOCALE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

export function cleanLocale(value: string): string {
  const locale = value.trim();
  if (!LOCALE.test(locale) || locale.length > 35) {
    throw badUserInput('locale', `"${locale}" is not a language tag; use one like ko-KR, en or en-US.`);
  }
  return locale;
}

export function cleanStatusReason(value: string | null | undefined): string | null {
  const reason = value?.trim() ?? '';
  if (reason.length > 500) throw badUserInput('reason', `The reason must be at most 500 characters; it has ${reason.length}.`);
  return reason === '' ? null : reason;
}
