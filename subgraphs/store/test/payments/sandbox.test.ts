import { randomUUID } from 'node:crypto';
import { PaymentOutcomeUnknownError, type ConfirmRequest } from '../../src/payments/provider';
import { createSandboxProvider, SANDBOX_CARDS } from '../../src/payments/sandbox';

const TIMEOUT_MS = 50;

const request = (paymentKey: string, overrides: Partial<ConfirmRequest> = {}): ConfirmRequest => ({
  paymentKey,
  orderId: randomUUID(),
  amount: 15000,
  idempotencyKey: randomUUID(),
  ...overrides,
});

describe('sandbox provider: confirm', () => {
  test('approves the approve card with a new transaction id, once', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const before = Date.now();
    const first = await sandbox.confirm(request(SANDBOX_CARDS.approve));
    const second = await sandbox.confirm(request(SANDBOX_CARDS.approve));

    expect(first).toEqual({ kind: 'approved', transactionId: expect.any(String), method: 'CARD', approvedAt: expect.any(Date) });
    if (first.kind !== 'approved' || second.kind !== 'approved') throw new Error('both orders should be approved');
    expect(first.approvedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(second.transactionId).not.toBe(first.transactionId);
    expect(sandbox.name).toBe('sandbox');
    expect(sandbox.calls).toEqual({ confirm: 2, cancel: 0, charges: 2, refunds: 0 });
  });

  test('declines the decline card with REJECT_CARD_PAYMENT and charges nothing', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const outcome = await sandbox.confirm(request(SANDBOX_CARDS.decline));
    expect(outcome).toEqual({ kind: 'declined', code: 'REJECT_CARD_PAYMENT', message: expect.stringMatching(/declined/) });
    expect(sandbox.calls.charges).toBe(0);
  });

  test('declines any other payment key with INVALID_CARD, naming the three test cards', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const outcome = await sandbox.confirm(request('4111-1111-1111-1111'));
    expect(outcome).toMatchObject({ kind: 'declined', code: 'INVALID_CARD' });
    if (outcome.kind !== 'declined') throw new Error('should be declined');
    for (const card of Object.values(SANDBOX_CARDS)) expect(outcome.message).toContain(card);
    expect(sandbox.calls.charges).toBe(0);
  });

  test.each([0, -1000, 99.5, Number.NaN, Number.POSITIVE_INFINITY])('declines the amount %p with INVALID_AMOUNT', async (amount) => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const outcome = await sandbox.confirm(request(SANDBOX_CARDS.approve, { amount }));
    expect(outcome).toMatchObject({ kind: 'declined', code: 'INVALID_AMOUNT' });
    expect(sandbox.calls.charges).toBe(0);
  });

  test('a repeated idempotency key gets the first outcome and no new charge', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const payment = request(SANDBOX_CARDS.approve);
    const first = await sandbox.confirm(payment);
    const replay = await sandbox.confirm(payment);
    expect(replay).toEqual(first);
    expect(sandbox.calls).toMatchObject({ confirm: 2, charges: 1 });
  });

  test('a repeated key replays a decline too, even if the card changed since', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const payment = request(SANDBOX_CARDS.decline);
    const first = await sandbox.confirm(payment);
    const replay = await sandbox.confirm({ ...payment, paymentKey: SANDBOX_CARDS.approve });
    expect(replay).toEqual(first);
    expect(sandbox.calls.charges).toBe(0);
  });

  test('concurrent confirms with one key share one charge', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const payment = request(SANDBOX_CARDS.approve);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => sandbox.confirm(payment)));
    for (const outcome of outcomes) expect(outcome).toEqual(outcomes[0]);
    expect(sandbox.calls).toMatchObject({ confirm: 10, charges: 1 });
  });

  test('an order already charged is not charged again under another key: ALREADY_PROCESSED_PAYMENT', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const payment = request(SANDBOX_CARDS.approve);
    await sandbox.confirm(payment);
    const again = await sandbox.confirm({ ...payment, idempotencyKey: randomUUID() });
    expect(again).toMatchObject({ kind: 'declined', code: 'ALREADY_PROCESSED_PAYMENT' });
    expect(sandbox.calls.charges).toBe(1);
  });

  test('an order declined once can be paid with another card under a new key', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const declined = request(SANDBOX_CARDS.decline);
    await sandbox.confirm(declined);
    const retried = await sandbox.confirm({ ...declined, paymentKey: SANDBOX_CARDS.approve, idempotencyKey: randomUUID() });
    expect(retried.kind).toBe('approved');
    expect(sandbox.calls.charges).toBe(1);
  });

  test('the timeout card charges, loses the first answer after timeoutMs, and a retry with the same key finds it approved', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const payment = request(SANDBOX_CARDS.timeout);
    const started = Date.now();
    await expect(sandbox.confirm(payment)).rejects.toBeInstanceOf(PaymentOutcomeUnknownError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(sandbox.calls.charges).toBe(1);

    const retried = await sandbox.confirm(payment);
    expect(retried).toMatchObject({ kind: 'approved', method: 'CARD' });
    expect(await sandbox.confirm(payment)).toEqual(retried);
    expect(sandbox.calls).toMatchObject({ confirm: 3, charges: 1 });
  });

  test('a confirm with the same key while the timeout card is still waiting gets the approval, not a second charge', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const payment = request(SANDBOX_CARDS.timeout);
    const first = sandbox.confirm(payment);
    const concurrent = await sandbox.confirm(payment);
    expect(concurrent.kind).toBe('approved');
    await expect(first).rejects.toThrow(PaymentOutcomeUnknownError);
    expect(sandbox.calls.charges).toBe(1);
  });
});

describe('sandbox provider: cancel', () => {
  test('refunds an approved payment once; a replay with the same key gets the first outcome', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    await sandbox.confirm(request(SANDBOX_CARDS.approve));
    const refund = { paymentKey: SANDBOX_CARDS.approve, reason: 'Buyer changed their mind', idempotencyKey: randomUUID() };
    const first = await sandbox.cancel(refund);
    expect(first).toEqual({ kind: 'cancelled', cancelledAt: expect.any(Date) });
    expect(await sandbox.cancel(refund)).toEqual(first);
    expect(sandbox.calls).toMatchObject({ cancel: 2, charges: 1, refunds: 1 });
  });

  test('refunds one exact charge when given its transaction id', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const approved = await sandbox.confirm(request(SANDBOX_CARDS.approve));
    if (approved.kind !== 'approved') throw new Error('should be approved');
    const refund = { paymentKey: approved.transactionId, reason: 'Out of stock', idempotencyKey: randomUUID() };
    expect((await sandbox.cancel(refund)).kind).toBe('cancelled');
    const again = await sandbox.cancel({ ...refund, idempotencyKey: randomUUID() });
    expect(again).toMatchObject({ kind: 'refused', code: 'ALREADY_CANCELED_PAYMENT' });
    expect(sandbox.calls.refunds).toBe(1);
  });

  test('refuses to refund what was never charged: NOT_FOUND_PAYMENT', async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    await sandbox.confirm(request(SANDBOX_CARDS.decline));
    for (const paymentKey of [SANDBOX_CARDS.approve, SANDBOX_CARDS.decline, 'sandbox_no-such-charge']) {
      const outcome = await sandbox.cancel({ paymentKey, reason: 'Cancelled', idempotencyKey: randomUUID() });
      expect(outcome).toMatchObject({ kind: 'refused', code: 'NOT_FOUND_PAYMENT' });
    }
    expect(sandbox.calls.refunds).toBe(0);
  });

  test("refunds the timeout card's charge normally", async () => {
    const sandbox = createSandboxProvider({ timeoutMs: TIMEOUT_MS });
    const payment = request(SANDBOX_CARDS.timeout);
    await expect(sandbox.confirm(payment)).rejects.toThrow(PaymentOutcomeUnknownError);
    const outcome = await sandbox.cancel({ paymentKey: SANDBOX_CARDS.timeout, reason: 'Cancelled', idempotencyKey: randomUUID() });
    expect(outcome.kind).toBe('cancelled');
    expect(sandbox.calls).toMatchObject({ charges: 1, refunds: 1 });
  });
});
