import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How the stand-in treats one paymentKey, on confirm and on cancel alike:
 * - approve: does it (the default);
 * - decline: refuses it (403 REJECT_CARD_PAYMENT on confirm, 403 NOT_CANCELABLE_PAYMENT on cancel);
 * - slow: does it, 30 s later (a client's timeout fires first);
 * - error500: fails with 500 FAILED_INTERNAL_SYSTEM_PROCESSING, doing nothing;
 * - lose-answer: does it, then drops the connection without answering (a retry under the same
 *   Idempotency-Key gets the stored success).
 */
export type TossStandInBehaviour = 'approve' | 'decline' | 'slow' | 'error500' | 'lose-answer';

/** The stand-in's Payment object: the subset of Toss's the store reads. */
export interface StandInPayment {
  paymentKey: string;
  orderId: string;
  status: 'DONE' | 'CANCELED';
  totalAmount: number;
  method: '카드';
  approvedAt: string;
  lastTransactionKey: string;
  cancels?: { cancelAmount: number; cancelReason: string; canceledAt: string; transactionKey: string }[];
}

export interface TossStandIn {
  /** Base URL, no trailing slash: pass it as the provider's apiUrl. */
  url: string;
  /** Requests received, replays and refusals included. */
  calls: { confirm: number; cancel: number };
  /** Payments actually confirmed: a replayed or refused confirm adds none. */
  charges: number;
  /** Payments actually cancelled. */
  refunds: number;
  payments: Map<string, StandInPayment>;
  behaveFor(paymentKey: string, behaviour: TossStandInBehaviour): void;
  /** Stops the server, dropping open connections and abandoning slow requests; calling it again does nothing. */
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: object;
}

type Handled = Answer & { loseAnswer?: boolean };
type IdempotencyRecord = { state: 'processing' } | { state: 'answered'; answer: Answer };

const SLOW_MS = 30_000;
// A charge takes a moment at the card company: concurrent requests overlap it, as they would at Toss.
const CHARGE_MS = 20;
const MAX_IDEMPOTENCY_KEY_LENGTH = 300;
const ORDER_ID = /^[A-Za-z0-9_.-]{6,64}$/;

const failure = (status: number, code: string, message: string): Answer => ({ status, body: { code, message } });

/** Korean time, to the second, as Toss writes it. */
const koreanTime = (instant: Date) => `${new Date(instant.getTime() + 9 * 3_600_000).toISOString().slice(0, 19)}+09:00`;
const transactionKey = () => randomBytes(16).toString('hex').toUpperCase();

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A malformed escape names no payment, rather than failing the request. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function send(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer.body));
}

/**
 * THE STAND-IN FOR THE OUTSIDE SERVICE: a local HTTP server that speaks the subset of Toss
 * Payments' core API v1 the store uses, so the real Toss client is tested over real HTTP without
 * the real Toss. It answers POST /v1/payments/confirm and POST /v1/payments/{paymentKey}/cancel
 * as Toss documents them: Basic auth with the secret key, Idempotency-Key replays (same key, same
 * status and body, nothing done twice; 409 IDEMPOTENT_REQUEST_PROCESSING while the first is still
 * running), one confirm per paymentKey, Toss's error objects and codes. Where Toss's docs are
 * silent, it chooses: a 500 releases the Idempotency-Key, so a retry is processed afresh.
 */
export async function startTossStandIn(options: { secretKey: string }): Promise<TossStandIn> {
  const expectedAuthorization = `Basic ${Buffer.from(`${options.secretKey}:`).toString('base64')}`;
  const behaviours = new Map<string, TossStandInBehaviour>();
  const idempotency = new Map<string, IdempotencyRecord>();
  const pendingTimers = new Set<NodeJS.Timeout>();

  // Abandoned, never resolved, when the stand-in closes: a slow request must not hold jest open.
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        resolve();
      }, ms);
      pendingTimers.add(timer);
    });

  async function processing(paymentKey: string): Promise<TossStandInBehaviour> {
    const behaviour = behaviours.get(paymentKey) ?? 'approve';
    await pause(behaviour === 'slow' ? SLOW_MS : CHARGE_MS);
    return behaviour;
  }

  async function confirm(body: unknown): Promise<Handled> {
    if (
      !isObject(body) ||
      typeof body.paymentKey !== 'string' ||
      body.paymentKey.length === 0 ||
      body.paymentKey.length > 200 ||
      typeof body.orderId !== 'string' ||
      !ORDER_ID.test(body.orderId) ||
      typeof body.amount !== 'number' ||
      !Number.isInteger(body.amount) ||
      body.amount < 1
    ) {
      return failure(400, 'INVALID_REQUEST', '잘못된 요청입니다. (paymentKey, orderId of 6 to 64 characters, amount of at least 1 are required)');
    }
    const { paymentKey, orderId, amount } = body;
    const behaviour = await processing(paymentKey);
    // Checked after the wait: of two keys confirming one paymentKey at once, only the first charges.
    if (standIn.payments.has(paymentKey)) return failure(400, 'ALREADY_PROCESSED_PAYMENT', '이미 처리된 결제 입니다.');
    if (behaviour === 'decline') return failure(403, 'REJECT_CARD_PAYMENT', '한도초과 혹은 잔액부족으로 결제에 실패했습니다.');
    if (behaviour === 'error500') return failure(500, 'FAILED_INTERNAL_SYSTEM_PROCESSING', '내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.');
    const payment: StandInPayment = {
      paymentKey,
      orderId,
      status: 'DONE',
      totalAmount: amount,
      method: '카드',
      approvedAt: koreanTime(new Date()),
      lastTransactionKey: transactionKey(),
    };
    standIn.payments.set(paymentKey, payment);
    standIn.charges += 1;
    return { status: 200, body: structuredClone(payment), loseAnswer: behaviour === 'lose-answer' };
  }

  async function cancel(paymentKey: string, body: unknown): Promise<Handled> {
    if (!isObject(body) || typeof body.cancelReason !== 'string' || body.cancelReason.length === 0 || body.cancelReason.length > 200) {
      return failure(400, 'INVALID_REQUEST', '잘못된 요청입니다. (cancelReason of 1 to 200 characters is required)');
    }
    const { cancelReason } = body;
    const behaviour = await processing(paymentKey);
    const payment = standIn.payments.get(paymentKey);
    if (!payment) return failure(404, 'NOT_FOUND_PAYMENT', '존재하지 않는 결제 정보 입니다.');
    if (payment.status === 'CANCELED') return failure(400, 'ALREADY_CANCELED_PAYMENT', '이미 취소된 결제 입니다.');
    if (behaviour === 'decline') return failure(403, 'NOT_CANCELABLE_PAYMENT', '취소 할 수 없는 결제 입니다.');
    if (behaviour === 'error500') return failure(500, 'FAILED_INTERNAL_SYSTEM_PROCESSING', '내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.');
    const cancelKey = transactionKey();
    payment.status = 'CANCELED';
    payment.lastTransactionKey = cancelKey;
    payment.cancels = [{ cancelAmount: payment.totalAmount, cancelReason, canceledAt: koreanTime(new Date()), transactionKey: cancelKey }];
    standIn.refunds += 1;
    return { status: 200, body: structuredClone(payment), loseAnswer: behaviour === 'lose-answer' };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = request.url ?? '';
    const cancelOf = /^\/v1\/payments\/([^/]+)\/cancel$/.exec(path)?.[1];
    const isConfirm = path === '/v1/payments/confirm';
    if (request.method !== 'POST' || (!isConfirm && cancelOf === undefined)) {
      return send(response, failure(404, 'NOT_FOUND', `The stand-in does not serve ${request.method} ${path}.`));
    }
    if (isConfirm) standIn.calls.confirm += 1;
    else standIn.calls.cancel += 1;
    if (request.headers.authorization !== expectedAuthorization) {
      return send(response, failure(401, 'UNAUTHORIZED_KEY', '인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.'));
    }

    const key = request.headers['idempotency-key'];
    if (typeof key === 'string' && key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return send(response, failure(400, 'INVALID_IDEMPOTENCY_KEY', '멱등키는 300자 이하여야 합니다.'));
    }
    // Toss scopes a key by API key, URL and method; one secret key and POST only here, so the URL is enough.
    const scope = typeof key === 'string' ? `${path} ${key}` : undefined;
    const seen = scope === undefined ? undefined : idempotency.get(scope);
    if (seen?.state === 'answered') return send(response, seen.answer);
    if (seen?.state === 'processing') return send(response, failure(409, 'IDEMPOTENT_REQUEST_PROCESSING', '이전 멱등 요청이 처리중입니다.'));
    if (scope !== undefined) idempotency.set(scope, { state: 'processing' });

    const body = await readJson(request);
    const { loseAnswer, ...answer } = isConfirm ? await confirm(body) : await cancel(decodePathSegment(cancelOf ?? ''), body);
    if (scope !== undefined) {
      if (answer.status >= 500) idempotency.delete(scope);
      else idempotency.set(scope, { state: 'answered', answer });
    }
    if (loseAnswer) {
      request.socket.destroy();
      return;
    }
    send(response, answer);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      if (!response.headersSent) send(response, failure(500, 'FAILED_INTERNAL_SYSTEM_PROCESSING', `The stand-in failed: ${error.message}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const standIn: TossStandIn = {
    url: `http://127.0.0.1:${port}`,
    calls: { confirm: 0, cancel: 0 },
    charges: 0,
    refunds: 0,
    payments: new Map(),
    behaveFor: (paymentKey, behaviour) => {
      behaviours.set(paymentKey, behaviour);
    },
    close: () => (closing ??= shutdown()),
  };
  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    for (const timer of pendingTimers) clearTimeout(timer);
    const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    server.closeAllConnections();
    await closed;
  }
  return standIn;
}
