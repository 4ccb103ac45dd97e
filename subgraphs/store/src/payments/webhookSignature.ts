import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Toss Payments' webhook signature: HMAC-SHA256 with the shared security key over
 * `{raw body}:{transmission time}`, sent base64 as `v1:<signature>`. While a key is being rotated
 * Toss sends several, comma-separated; any one matching is enough.
 */
export const WEBHOOK_SIGNATURE_HEADER = 'tosspayments-webhook-signature';
/** When Toss sent the notification: ISO 8601 with an offset, e.g. 2024-09-05T12:19:21+09:00. Signed, so it cannot be moved. */
export const WEBHOOK_TRANSMISSION_TIME_HEADER = 'tosspayments-webhook-transmission-time';
/** Unique per notification (resends keep it): the key to skip duplicates by. */
export const WEBHOOK_TRANSMISSION_ID_HEADER = 'tosspayments-webhook-transmission-id';

export type WebhookVerification = { ok: true; transmittedAt: Date } | { ok: false; reason: string };

const SIGNATURE_VERSION = 'v1:';
const SHA256_BYTES = 32;
const ISO_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const hmac = (rawBody: string, transmissionTime: string, secret: string) =>
  createHmac('sha256', secret).update(`${rawBody}:${transmissionTime}`).digest();

/** Korean time, to the second, as Toss writes it. */
function koreanTime(instant: Date): string {
  const shifted = new Date(instant.getTime() + 9 * 3_600_000);
  return `${shifted.toISOString().slice(0, 19)}+09:00`;
}

/** The headers Toss would send with this body: for the provider stand-in and tests. */
export function signWebhook(rawBody: string, secret: string, now = new Date()): Record<string, string> {
  const transmissionTime = koreanTime(now);
  return {
    [WEBHOOK_SIGNATURE_HEADER]: `${SIGNATURE_VERSION}${hmac(rawBody, transmissionTime, secret).toString('base64')}`,
    [WEBHOOK_TRANSMISSION_TIME_HEADER]: transmissionTime,
    [WEBHOOK_TRANSMISSION_ID_HEADER]: `whtrans_${randomBytes(12).toString('hex')}`,
  };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  // Node lower-cases incoming header names; other callers may not.
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  const value = entry?.[1];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Checks that a webhook came from the holder of `secret` and was sent within `toleranceSeconds` of
 * now: an old, correctly signed notification replayed later is refused too. `rawBody` must be the
 * bytes as received, before any JSON parsing.
 */
export function verifyWebhookSignature(
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
  secret: string,
  now = new Date(),
  toleranceSeconds = 300,
): WebhookVerification {
  const signatures = header(headers, WEBHOOK_SIGNATURE_HEADER);
  const transmissionTime = header(headers, WEBHOOK_TRANSMISSION_TIME_HEADER);
  if (!signatures) return { ok: false, reason: `The ${WEBHOOK_SIGNATURE_HEADER} header is missing.` };
  if (!transmissionTime) return { ok: false, reason: `The ${WEBHOOK_TRANSMISSION_TIME_HEADER} header is missing.` };
  const transmittedAt = new Date(transmissionTime);
  if (!ISO_TIME_WITH_OFFSET.test(transmissionTime) || Number.isNaN(transmittedAt.getTime())) {
    return { ok: false, reason: `The ${WEBHOOK_TRANSMISSION_TIME_HEADER} header is not an ISO 8601 time with an offset.` };
  }

  // Other versions than v1 are skipped, not refused: Toss may add one next to v1.
  const candidates = signatures
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith(SIGNATURE_VERSION))
    .map((entry) => entry.slice(SIGNATURE_VERSION.length))
    .filter((encoded) => BASE64.test(encoded))
    .map((encoded) => Buffer.from(encoded, 'base64'))
    .filter((decoded) => decoded.length === SHA256_BYTES);
  if (candidates.length === 0) {
    return { ok: false, reason: `The ${WEBHOOK_SIGNATURE_HEADER} header holds no "v1:<base64 HMAC-SHA256>" signature.` };
  }
  const expected = hmac(rawBody, transmissionTime, secret);
  // Every candidate is compared, in constant time, so the answer's timing tells nothing about which part differed.
  const matches = candidates.reduce((found, candidate) => timingSafeEqual(candidate, expected) || found, false);
  if (!matches) return { ok: false, reason: 'The signature does not match the body: it was changed, or signed with another secret.' };

  const skewSeconds = (now.getTime() - transmittedAt.getTime()) / 1000;
  if (skewSeconds > toleranceSeconds) {
    return { ok: false, reason: `The notification was sent ${Math.round(skewSeconds)} s ago, more than the ${toleranceSeconds} s allowed: a stale or replayed notification.` };
  }
  if (-skewSeconds > toleranceSeconds) {
    return { ok: false, reason: `The notification claims to be sent ${Math.round(-skewSeconds)} s in the future, more than the ${toleranceSeconds} s allowed.` };
  }
  return { ok: true, transmittedAt };
}
