import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PaymentOutcomeUnknownError, type CancelOutcome, type ConfirmOutcome, type PaymentProvider } from './provider';

/** The sandbox's test cards: the client sends one as the paymentKey. */
export const SANDBOX_CARDS = {
  approve: 'sandbox-card-approve',
  decline: 'sandbox-card-decline',
  /** Charges, but the first answer is lost: the caller sees PaymentOutcomeUnknownError after timeoutMs. */
  timeout: 'sandbox-card-timeout',
} as const;

export interface SandboxCalls {
  /** Every confirm received, replays included. */
  confirm: number;
  /** Every cancel received, replays included. */
  cancel: number;
  /** Charges actually made: a replay or a refused confirm adds none. */
  charges: number;
  /** Refunds actually made. */
  refunds: number;
}

export interface SandboxProvider extends PaymentProvider {
  readonly name: 'sandbox';
  readonly calls: Readonly<SandboxCalls>;
}

interface Charge {
  transactionId: string;
  card: string;
  refunded: boolean;
}

const KNOWN_CARDS = new Set<string>(Object.values(SANDBOX_CARDS));

const declined = (code: string, message: string): ConfirmOutcome => ({ kind: 'declined', code, message });
const refused = (code: string, message: string): CancelOutcome => ({ kind: 'refused', code, message });

/**
 * An in-process payment provider with deterministic test cards, for development and tests. It keeps
 * the promises a real provider makes: one charge per idempotency key, one charge per order, replays
 * answered from the first outcome.
 */
export function createSandboxProvider(options: { timeoutMs: number }): SandboxProvider {
  const calls: SandboxCalls = { confirm: 0, cancel: 0, charges: 0, refunds: 0 };
  const confirmations = new Map<string, ConfirmOutcome>();
  const cancellations = new Map<string, CancelOutcome>();
  const chargedOrders = new Set<string>();
  const charges: Charge[] = [];

  function decide(paymentKey: string, orderId: string, amount: number): ConfirmOutcome {
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      return declined('INVALID_AMOUNT', `The amount must be a positive whole number of won, not ${amount}.`);
    }
    if (!KNOWN_CARDS.has(paymentKey)) {
      return declined('INVALID_CARD', `That is not a sandbox test card. Use one of: ${[...KNOWN_CARDS].join(', ')}.`);
    }
    if (chargedOrders.has(orderId)) {
      return declined('ALREADY_PROCESSED_PAYMENT', `Order ${orderId} has been charged already (under another idempotency key); it was not charged again.`);
    }
    if (paymentKey === SANDBOX_CARDS.decline) {
      return declined('REJECT_CARD_PAYMENT', 'The card company declined the payment (limit exceeded or insufficient balance). Try another card.');
    }
    const charge: Charge = { transactionId: `sandbox_${randomUUID()}`, card: paymentKey, refunded: false };
    charges.push(charge);
    chargedOrders.add(orderId);
    calls.charges += 1;
    return { kind: 'approved', transactionId: charge.transactionId, method: 'CARD', approvedAt: new Date() };
  }

  function refund(paymentKey: string): CancelOutcome {
    // A test card is not one payment: it stands for the latest of its charges not yet refunded.
    const matching = charges.filter((charge) => charge.transactionId === paymentKey || charge.card === paymentKey);
    if (matching.length === 0) return refused('NOT_FOUND_PAYMENT', 'Nothing was charged with this payment key, so there is nothing to refund.');
    const open = matching.findLast((charge) => !charge.refunded);
    if (!open) return refused('ALREADY_CANCELED_PAYMENT', 'Every charge made with this payment key has been refunded already.');
    open.refunded = true;
    calls.refunds += 1;
    return { kind: 'cancelled', cancelledAt: new Date() };
  }

  return {
    name: 'sandbox',
    calls,
    async confirm({ paymentKey, orderId, amount, idempotencyKey }) {
      calls.confirm += 1;
      const first = confirmations.get(idempotencyKey);
      if (first) return first;
      // Stored before any wait, so a concurrent or later call with this key gets this outcome and no charge.
      const outcome = decide(paymentKey, orderId, amount);
      confirmations.set(idempotencyKey, outcome);
      if (paymentKey === SANDBOX_CARDS.timeout && outcome.kind === 'approved') {
        await sleep(options.timeoutMs);
        throw new PaymentOutcomeUnknownError(
          `The sandbox did not answer within ${options.timeoutMs} ms (test card ${SANDBOX_CARDS.timeout}). Confirm again with the same idempotency key to learn the outcome.`,
        );
      }
      return outcome;
    },
    async cancel({ paymentKey, idempotencyKey }) {
      calls.cancel += 1;
      const first = cancellations.get(idempotencyKey);
      if (first) return first;
      const outcome = refund(paymentKey);
      cancellations.set(idempotencyKey, outcome);
      return outcome;
    },
  };
}
