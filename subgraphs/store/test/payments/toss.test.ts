import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { PaymentOutcomeUnknownError, type ConfirmRequest, type PaymentProvider } from '../../src/payments/provider';
import { createTossProvider } from '../../src/payments/toss';
import { startTossStandIn, type TossStandIn } from '../helpers/tossStandIn';

const SECRET_KEY = 'test_sk_standin_0123456789abcdef';

let standIn: TossStandIn;
let logLines: string[];

beforeEach(async () => {
  standIn = await startTossStandIn({ secretKey: SECRET_KEY });
  logLines = [];
});
afterEach(() => standIn.close());

function toss(options: { timeoutMs?: number; secretKey?: string } = {}): PaymentProvider {
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
  return createTossProvider({ apiUrl: standIn.url, secretKey: options.secretKey ?? SECRET_KEY, timeoutMs: options.timeoutMs ?? 2000, logger });
}

const payment = (): ConfirmRequest => ({
  paymentKey: `tpk_${randomUUID().replaceAll('-', '')}`,
  orderId: randomUUID(),
  amount: 15000,
  idempotencyKey: randomUUID(),
});

/** What an operator could read must not let anyone act on the payment or the account. */
function expectLogsWithout(...secrets: string[]) {
  expect(logLines.length).toBeGreaterThan(0);
  for (const line of logLines) for (const secret of secrets) expect(line).not.toContain(secret);
}

describe('toss provider: confirm', () => {
  test('approves: the transaction id is Toss lastTransactionKey, the method and approval time are Toss own', async () => {
    const request = payment();
    const outcome = await toss().confirm(request);

    const stored = standIn.payments.get(request.paymentKey);
    expect(stored).toMatchObject({ orderId: request.orderId, totalAmount: 15000, status: 'DONE' });
    expect(outcome).toEqual({
      kind: 'approved',
      transactionId: stored?.lastTransactionKey,
      method: '카드',
      approvedAt: new Date(stored?.approvedAt ?? ''),
    });
    expect(standIn.charges).toBe(1);
  });

  test('a declined card is a verdict: declined with Toss code and message, nothing charged', async () => {
    const request = payment();
    standIn.behaveFor(request.paymentKey, 'decline');
    const outcome = await toss().confirm(request);
    expect(outcome).toEqual({ kind: 'declined', code: 'REJECT_CARD_PAYMENT', message: '한도초과 혹은 잔액부족으로 결제에 실패했습니다.' });
    expect(standIn.charges).toBe(0);
  });

  test('a wrong secret key is a configuration error, neither a decline nor an unknown outcome', async () => {
    const wrongKey = 'test_sk_wrong_key_9876543210';
    const request = payment();
    const confirming = toss({ secretKey: wrongKey }).confirm(request);
    await expect(confirming).rejects.toThrow(/secret key.*TOSS_SECRET_KEY/);
    await expect(confirming).rejects.not.toBeInstanceOf(PaymentOutcomeUnknownError);
    await expect(confirming).rejects.not.toThrow(wrongKey);
    expect(standIn.charges).toBe(0);
    expectLogsWithout(wrongKey, request.paymentKey);
  });

  test('confirming again with the same idempotency key replays the answer and charges once', async () => {
    const request = payment();
    const provider = toss();
    const first = await provider.confirm(request);
    const replay = await provider.confirm(request);
    expect(first.kind).toBe('approved');
    expect(replay).toEqual(first);
    expect(standIn.calls.confirm).toBe(2);
    expect(standIn.charges).toBe(1);
  });

  test('confirming a confirmed payment under a new key is declined ALREADY_PROCESSED_PAYMENT, not charged again', async () => {
    const request = payment();
    const provider = toss();
    await provider.confirm(request);
    const again = await provider.confirm({ ...request, idempotencyKey: randomUUID() });
    expect(again).toMatchObject({ kind: 'declined', code: 'ALREADY_PROCESSED_PAYMENT' });
    expect(standIn.charges).toBe(1);
  });

  test('20 concurrent confirms with one key charge once; each answer is that approval or "still processing"', async () => {
    const request = payment();
    const provider = toss();
    const settled = await Promise.allSettled(Array.from({ length: 20 }, () => provider.confirm(request)));

    expect(standIn.calls.confirm).toBe(20);
    expect(standIn.charges).toBe(1);
    const { lastTransactionKey } = standIn.payments.get(request.paymentKey)!;
    for (const result of settled) {
      if (result.status === 'fulfilled') expect(result.value).toMatchObject({ kind: 'approved', transactionId: lastTransactionKey });
      else expect(result.reason).toBeInstanceOf(PaymentOutcomeUnknownError);
    }
    // Whoever got "still processing" learns the outcome by asking again with the same key.
    expect(await provider.confirm(request)).toMatchObject({ kind: 'approved', transactionId: lastTransactionKey });
    expect(standIn.charges).toBe(1);
  });

  test('a provider slower than the timeout leaves the outcome unknown, within the timeout; asking again meanwhile is still unknown', async () => {
    const request = payment();
    standIn.behaveFor(request.paymentKey, 'slow');
    const provider = toss({ timeoutMs: 300 });

    const started = Date.now();
    await expect(provider.confirm(request)).rejects.toThrow(PaymentOutcomeUnknownError);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);

    await expect(provider.confirm(request)).rejects.toThrow(/IDEMPOTENT_REQUEST_PROCESSING/);
    expect(standIn.charges).toBe(0);
    expectLogsWithout(SECRET_KEY, request.paymentKey);
  });

  test('an answer lost after the charge is unknown; the retry with the same key finds it approved, charged once', async () => {
    const request = payment();
    standIn.behaveFor(request.paymentKey, 'lose-answer');
    const provider = toss();

    await expect(provider.confirm(request)).rejects.toThrow(PaymentOutcomeUnknownError);
    expect(standIn.charges).toBe(1);

    const retried = await provider.confirm(request);
    expect(retried).toMatchObject({ kind: 'approved', transactionId: standIn.payments.get(request.paymentKey)?.lastTransactionKey });
    expect(standIn.charges).toBe(1);
    expectLogsWithout(SECRET_KEY, request.paymentKey);
  });

  test('a 500 from Toss leaves the outcome unknown', async () => {
    const request = payment();
    standIn.behaveFor(request.paymentKey, 'error500');
    await expect(toss().confirm(request)).rejects.toThrow(/HTTP 500 FAILED_INTERNAL_SYSTEM_PROCESSING/);
    await expect(toss().confirm(request)).rejects.toBeInstanceOf(PaymentOutcomeUnknownError);
    expect(standIn.charges).toBe(0);
    expectLogsWithout(SECRET_KEY, request.paymentKey);
  });

  test('Toss not reachable at all leaves the outcome unknown', async () => {
    const provider = toss();
    await standIn.close();
    await expect(provider.confirm(payment())).rejects.toBeInstanceOf(PaymentOutcomeUnknownError);
  });
});

describe('toss provider: cancel', () => {
  test('cancels a confirmed payment; a replay with the same key returns the first answer and refunds once', async () => {
    const request = payment();
    const provider = toss();
    await provider.confirm(request);
    const refund = { paymentKey: request.paymentKey, reason: '구매자 변심', idempotencyKey: randomUUID() };

    const first = await provider.cancel(refund);
    const stored = standIn.payments.get(request.paymentKey);
    expect(stored).toMatchObject({ status: 'CANCELED', cancels: [{ cancelAmount: 15000, cancelReason: '구매자 변심' }] });
    expect(first).toEqual({ kind: 'cancelled', cancelledAt: new Date(stored?.cancels?.[0]?.canceledAt ?? '') });

    expect(await provider.cancel(refund)).toEqual(first);
    expect(standIn.calls.cancel).toBe(2);
    expect(standIn.refunds).toBe(1);
  });

  test('cancelling a payment Toss does not know is refused NOT_FOUND_PAYMENT', async () => {
    const outcome = await toss().cancel({ paymentKey: payment().paymentKey, reason: 'Cancelled', idempotencyKey: randomUUID() });
    expect(outcome).toMatchObject({ kind: 'refused', code: 'NOT_FOUND_PAYMENT' });
    expect(standIn.refunds).toBe(0);
  });

  test('cancelling an already cancelled payment under a new key is refused ALREADY_CANCELED_PAYMENT, refunded once', async () => {
    const request = payment();
    const provider = toss();
    await provider.confirm(request);
    await provider.cancel({ paymentKey: request.paymentKey, reason: 'Cancelled', idempotencyKey: randomUUID() });
    const again = await provider.cancel({ paymentKey: request.paymentKey, reason: 'Cancelled', idempotencyKey: randomUUID() });
    expect(again).toMatchObject({ kind: 'refused', code: 'ALREADY_CANCELED_PAYMENT' });
    expect(standIn.refunds).toBe(1);
  });

  test('a 500 on cancel leaves the refund unknown, and nothing was refunded', async () => {
    const request = payment();
    const provider = toss();
    await provider.confirm(request);
    standIn.behaveFor(request.paymentKey, 'error500');
    await expect(provider.cancel({ paymentKey: request.paymentKey, reason: 'Cancelled', idempotencyKey: randomUUID() })).rejects.toBeInstanceOf(
      PaymentOutcomeUnknownError,
    );
    expect(standIn.refunds).toBe(0);
  });
});
