import { createHmac } from 'node:crypto';
import {
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TRANSMISSION_TIME_HEADER,
} from '../../src/payments/webhookSignature';

const SECRET = 'whsec_4f1c0d9e8b7a6f5e4d3c2b1a';
const BODY = JSON.stringify({ eventType: 'PAYMENT_STATUS_CHANGED', data: { paymentKey: 'tpk_123', orderId: 'order-123', status: 'DONE' } });
const NOW = new Date('2026-11-24T06:30:00.000Z');
const secondsFrom = (instant: Date, seconds: number) => new Date(instant.getTime() + seconds * 1000);

describe('signWebhook', () => {
  test('signs `{body}:{transmission time}` with HMAC-SHA256, sent as v1:<base64>, the time in Korean time as Toss writes it', () => {
    const headers = signWebhook(BODY, SECRET, NOW);
    expect(headers[WEBHOOK_TRANSMISSION_TIME_HEADER]).toBe('2026-11-24T15:30:00+09:00');
    const expected = createHmac('sha256', SECRET).update(`${BODY}:2026-11-24T15:30:00+09:00`).digest('base64');
    expect(headers[WEBHOOK_SIGNATURE_HEADER]).toBe(`v1:${expected}`);
    expect(headers['tosspayments-webhook-transmission-id']).toMatch(/^whtrans_[0-9a-f]{24}$/);
  });
});

describe('verifyWebhookSignature', () => {
  test('accepts a notification signed with the secret, and says when it was sent', () => {
    expect(verifyWebhookSignature(signWebhook(BODY, SECRET, NOW), BODY, SECRET, NOW)).toEqual({ ok: true, transmittedAt: NOW });
  });

  test('accepts header names in any case', () => {
    const headers = signWebhook(BODY, SECRET, NOW);
    const shouted = {
      'TossPayments-Webhook-Signature': headers[WEBHOOK_SIGNATURE_HEADER],
      'TossPayments-Webhook-Transmission-Time': headers[WEBHOOK_TRANSMISSION_TIME_HEADER],
    };
    expect(verifyWebhookSignature(shouted, BODY, SECRET, NOW).ok).toBe(true);
  });

  test('refuses a tampered body', () => {
    const tampered = BODY.replace('"DONE"', '"CANCELED"');
    const verdict = verifyWebhookSignature(signWebhook(BODY, SECRET, NOW), tampered, SECRET, NOW);
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(/does not match/) });
  });

  test('refuses a notification signed with another secret', () => {
    const verdict = verifyWebhookSignature(signWebhook(BODY, 'whsec_someone_else', NOW), BODY, SECRET, NOW);
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(/does not match/) });
  });

  test('refuses a transmission time moved after signing (it is signed too)', () => {
    const headers = { ...signWebhook(BODY, SECRET, secondsFrom(NOW, -3600)), [WEBHOOK_TRANSMISSION_TIME_HEADER]: '2026-11-24T15:30:00+09:00' };
    expect(verifyWebhookSignature(headers, BODY, SECRET, NOW)).toEqual({ ok: false, reason: expect.stringMatching(/does not match/) });
  });

  test('refuses a correctly signed notification older than the tolerance: a replay', () => {
    const stale = signWebhook(BODY, SECRET, secondsFrom(NOW, -301));
    expect(verifyWebhookSignature(stale, BODY, SECRET, NOW)).toEqual({ ok: false, reason: expect.stringMatching(/301 s ago.*replayed/) });
    expect(verifyWebhookSignature(signWebhook(BODY, SECRET, secondsFrom(NOW, -299)), BODY, SECRET, NOW).ok).toBe(true);
    expect(verifyWebhookSignature(stale, BODY, SECRET, NOW, 600).ok).toBe(true);
  });

  test('refuses a notification from further in the future than the tolerance', () => {
    const future = signWebhook(BODY, SECRET, secondsFrom(NOW, 301));
    expect(verifyWebhookSignature(future, BODY, SECRET, NOW)).toEqual({ ok: false, reason: expect.stringMatching(/future/) });
    expect(verifyWebhookSignature(signWebhook(BODY, SECRET, secondsFrom(NOW, 299)), BODY, SECRET, NOW).ok).toBe(true);
  });

  const signed = () => signWebhook(BODY, SECRET, NOW);
  const without = (name: string) => Object.fromEntries(Object.entries(signed()).filter(([header]) => header !== name));
  const withHeader = (name: string, value: string) => ({ ...signed(), [name]: value });

  test.each([
    ['no signature header', without(WEBHOOK_SIGNATURE_HEADER), /signature header is missing/],
    ['an empty signature header', withHeader(WEBHOOK_SIGNATURE_HEADER, ''), /signature header is missing/],
    ['no transmission time header', without(WEBHOOK_TRANSMISSION_TIME_HEADER), /transmission-time header is missing/],
    ['a transmission time in unix seconds', withHeader(WEBHOOK_TRANSMISSION_TIME_HEADER, '1795501800'), /not an ISO 8601 time/],
    ['a transmission time without an offset', withHeader(WEBHOOK_TRANSMISSION_TIME_HEADER, '2026-11-24T15:30:00'), /not an ISO 8601 time/],
    ['a signature without the v1: prefix', withHeader(WEBHOOK_SIGNATURE_HEADER, 'c2lnbmF0dXJl'), /no "v1:/],
    ['a signature that is not base64', withHeader(WEBHOOK_SIGNATURE_HEADER, 'v1:not base64!'), /no "v1:/],
    ['a signature of the wrong length', withHeader(WEBHOOK_SIGNATURE_HEADER, 'v1:c2hvcnQ='), /no "v1:/],
  ])('refuses %s', (_case, headers, reason) => {
    expect(verifyWebhookSignature(headers, BODY, SECRET, NOW)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  test('accepts several comma-separated signatures when one matches, as Toss sends during key rotation', () => {
    const headers = signWebhook(BODY, SECRET, NOW);
    const other = signWebhook(BODY, 'whsec_old_key', NOW)[WEBHOOK_SIGNATURE_HEADER];
    expect(verifyWebhookSignature({ ...headers, [WEBHOOK_SIGNATURE_HEADER]: `${other},${headers[WEBHOOK_SIGNATURE_HEADER]}` }, BODY, SECRET, NOW).ok).toBe(true);
    expect(verifyWebhookSignature({ ...headers, [WEBHOOK_SIGNATURE_HEADER]: `${headers[WEBHOOK_SIGNATURE_HEADER]}, v2:future-scheme` }, BODY, SECRET, NOW).ok).toBe(true);
    expect(verifyWebhookSignature({ ...headers, [WEBHOOK_SIGNATURE_HEADER]: [other, headers[WEBHOOK_SIGNATURE_HEADER]] }, BODY, SECRET, NOW).ok).toBe(true);
  });

  test('refuses several signatures when none matches', () => {
    const headers = signWebhook(BODY, SECRET, NOW);
    const first = signWebhook(BODY, 'whsec_a', NOW)[WEBHOOK_SIGNATURE_HEADER];
    const second = signWebhook(BODY, 'whsec_b', NOW)[WEBHOOK_SIGNATURE_HEADER];
    const verdict = verifyWebhookSignature({ ...headers, [WEBHOOK_SIGNATURE_HEADER]: `${first},${second}` }, BODY, SECRET, NOW);
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(/does not match/) });
  });
});
