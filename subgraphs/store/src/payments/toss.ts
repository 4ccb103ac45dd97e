import type { Logger } from '@dorandoran/service-kit';
import { PaymentOutcomeUnknownError, type PaymentProvider } from './provider';

export interface TossProviderOptions {
  /** https://api.tosspayments.com in production; the stand-in's URL in tests. */
  apiUrl: string;
  /** test_sk_… or live_sk_…: sent only as the Basic credentials, never logged. */
  secretKey: string;
  timeoutMs: number;
  logger?: Logger;
}

/** The fields of Toss's Payment object the store reads. */
interface TossPayment {
  paymentKey: string;
  status: string;
  method?: string | null;
  approvedAt?: string | null;
  lastTransactionKey?: string | null;
  cancels?: { canceledAt?: string }[] | null;
}

/** Toss's error object. */
interface TossFailure {
  code: string;
  message: string;
}

type TossAnswer = { settled: 'payment'; payment: TossPayment } | { settled: 'failure'; failure: TossFailure };

/**
 * Error codes that settle nothing: the same request is still being processed, or Toss or the card
 * company failed part-way and asks for a retry. The payment may or may not have gone through.
 */
const OUTCOME_UNKNOWN_CODES = new Set([
  'IDEMPOTENT_REQUEST_PROCESSING',
  'PROVIDER_ERROR',
  'FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING',
  'FAILED_INTERNAL_SYSTEM_PROCESSING',
  'UNKNOWN_PAYMENT_ERROR',
]);

/** Codes that mean our secret key is wrong. Toss sends card refusals with 403 too, so the status alone cannot tell. */
const SECRET_KEY_CODES = new Set(['UNAUTHORIZED_KEY', 'INVALID_API_KEY', 'INCORRECT_BASIC_AUTH_FORMAT']);

/** Enough of a paymentKey to find it in Toss's dashboard, not enough to act on it. */
const masked = (paymentKey: string) => (paymentKey.length > 12 ? `${paymentKey.slice(0, 4)}…${paymentKey.slice(-4)}` : '…');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isPayment = (value: unknown): value is TossPayment => isObject(value) && typeof value.paymentKey === 'string' && typeof value.status === 'string';
const failureCode = (value: unknown) => (isObject(value) && typeof value.code === 'string' ? value.code : undefined);

/** Toss's times are ISO 8601 with an offset; a missing one is no reason to doubt a settled payment. */
function parseTime(value: string | null | undefined): Date {
  const time = new Date(value ?? Number.NaN);
  return Number.isNaN(time.getTime()) ? new Date() : time;
}

/** A client of Toss Payments' core API v1: confirm (승인) and cancel (취소) of a payment. */
export function createTossProvider(options: TossProviderOptions): PaymentProvider {
  const apiUrl = options.apiUrl.replace(/\/+$/, '');
  // Toss takes the secret key as the Basic user name with an empty password: hence the colon.
  const authorization = `Basic ${Buffer.from(`${options.secretKey}:`).toString('base64')}`;

  async function post(operation: 'confirm' | 'cancel', path: string, body: object, paymentKey: string, idempotencyKey: string): Promise<TossAnswer> {
    const shownKey = masked(paymentKey);
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${apiUrl}${path}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      // The request may have reached Toss and been processed; only a retry under the same key can tell.
      const timedOut = (error as Error).name === 'TimeoutError';
      options.logger?.warn({ operation, paymentKey: shownKey, err: (error as Error).message }, 'Toss Payments did not answer');
      throw new PaymentOutcomeUnknownError(
        timedOut
          ? `Toss Payments did not answer the ${operation} of payment ${shownKey} within ${options.timeoutMs} ms.`
          : `The ${operation} of payment ${shownKey} lost its connection to Toss Payments before an answer came.`,
        { cause: error },
      );
    }

    const parsed = parseJson(text);
    const code = failureCode(parsed);
    if (status === 401 || (code !== undefined && SECRET_KEY_CODES.has(code))) {
      options.logger?.error({ operation, status, code }, 'Toss Payments refused the secret key');
      throw new Error(
        `Toss Payments refused the secret key (HTTP ${status}${code ? ` ${code}` : ''}): TOSS_SECRET_KEY is wrong or belongs to another account. This is a configuration problem, not a declined payment; nothing was charged or refunded.`,
      );
    }
    if (status >= 200 && status < 300 && isPayment(parsed)) return { settled: 'payment', payment: parsed };
    if (status >= 400 && status < 500 && code !== undefined && !OUTCOME_UNKNOWN_CODES.has(code)) {
      const message = isObject(parsed) && typeof parsed.message === 'string' ? parsed.message : code;
      return { settled: 'failure', failure: { code, message } };
    }

    const answer = code ? `HTTP ${status} ${code}` : `HTTP ${status} without a Toss answer in the body`;
    options.logger?.warn({ operation, paymentKey: shownKey, status, code }, 'Toss Payments left the outcome open');
    throw new PaymentOutcomeUnknownError(`Toss Payments answered the ${operation} of payment ${shownKey} with ${answer}: the outcome is not known yet.`);
  }

  return {
    name: 'toss',
    async confirm({ paymentKey, orderId, amount, idempotencyKey }) {
      const answer = await post('confirm', '/v1/payments/confirm', { paymentKey, orderId, amount }, paymentKey, idempotencyKey);
      if (answer.settled === 'failure') return { kind: 'declined', ...answer.failure };
      const { payment } = answer;
      // DONE is the only finished card payment; WAITING_FOR_DEPOSIT and the like are not money received.
      if (payment.status !== 'DONE') {
        throw new PaymentOutcomeUnknownError(`Toss Payments confirmed payment ${masked(paymentKey)} with status ${payment.status}, not DONE.`);
      }
      return {
        kind: 'approved',
        transactionId: payment.lastTransactionKey ?? payment.paymentKey,
        method: payment.method ?? null,
        approvedAt: parseTime(payment.approvedAt),
      };
    },
    async cancel({ paymentKey, reason, idempotencyKey }) {
      const path = `/v1/payments/${encodeURIComponent(paymentKey)}/cancel`;
      const answer = await post('cancel', path, { cancelReason: reason }, paymentKey, idempotencyKey);
      if (answer.settled === 'failure') return { kind: 'refused', ...answer.failure };
      if (answer.payment.status !== 'CANCELED') {
        throw new PaymentOutcomeUnknownError(`Toss Payments cancelled payment ${masked(paymentKey)} with status ${answer.payment.status}, not CANCELED.`);
      }
      return { kind: 'cancelled', cancelledAt: parseTime(answer.payment.cancels?.at(-1)?.canceledAt) };
    },
  };
}
