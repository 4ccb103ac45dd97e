import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SandboxCharge as SandboxChargeRow, SandboxOperation } from '../entities/SandboxRecord.entity';
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
  /**
   * Keeps the sandbox's charges and answers in the store's database from now on, so that refunds
   * and replays work after a restart. The store calls it at start; before (unit tests) they live
   * in memory.
   */
  useDatabase(em: EntityManager): void;
}

export interface SandboxCharge {
  transactionId: string;
  orderId: string;
  card: string;
  refunded: boolean;
}

type Kind = 'confirm' | 'cancel';

/** What the sandbox reads and writes inside one of its operations. */
interface Books {
  answered(kind: Kind, idempotencyKey: string): Promise<ConfirmOutcome | CancelOutcome | undefined>;
  answer(kind: Kind, idempotencyKey: string, outcome: ConfirmOutcome | CancelOutcome): Promise<void>;
  charged(orderId: string): Promise<boolean>;
  charge(charge: SandboxCharge): Promise<void>;
  /** Charges made with a test card, or the one with this transactionId, oldest first. */
  chargesFor(paymentKey: string): Promise<SandboxCharge[]>;
  markRefunded(transactionId: string): Promise<void>;
}

/** Runs an operation with nothing else of the sandbox's in between (its books must not interleave). */
type Ledger = <T>(operation: (books: Books) => Promise<T>) => Promise<T>;

function memoryLedger(): Ledger {
  const answers = new Map<string, ConfirmOutcome | CancelOutcome>();
  const charges: SandboxCharge[] = [];
  const books: Books = {
    answered: async (kind, key) => answers.get(`${kind}:${key}`),
    answer: async (kind, key, outcome) => void answers.set(`${kind}:${key}`, outcome),
    charged: async (orderId) => charges.some((charge) => charge.orderId === orderId),
    charge: async (charge) => void charges.push(charge),
    chargesFor: async (paymentKey) => charges.filter((charge) => charge.transactionId === paymentKey || charge.card === paymentKey),
    markRefunded: async (transactionId) => {
      for (const charge of charges) if (charge.transactionId === transactionId) charge.refunded = true;
    },
  };
  let tail: Promise<unknown> = Promise.resolve();
  return (operation) => {
    const run = tail.then(() => operation(books));
    tail = run.catch(() => undefined);
    return run;
  };
}

/** Outcomes go through JSON: dates come back as strings. */
function revive<T extends ConfirmOutcome | CancelOutcome>(stored: Record<string, unknown>): T {
  const outcome = { ...stored };
  for (const field of ['approvedAt', 'cancelledAt']) if (typeof outcome[field] === 'string') outcome[field] = new Date(outcome[field] as string);
  return outcome as T;
}

/**
 * The books in the store's database. An advisory lock held for the transaction serialises the
 * sandbox's operations across connections and store instances, as one provider would.
 */
function databaseLedger(em: EntityManager): Ledger {
  return (operation) =>
    em.fork().transactional(async (tx) => {
      await tx.execute(`select pg_advisory_xact_lock(hashtext('dorandoran.sandbox-provider'))`);
      return operation({
        async answered(kind, idempotencyKey) {
          const row = await tx.findOne(SandboxOperation, { kind, idempotencyKey });
          return row ? revive(row.outcome) : undefined;
        },
        async answer(kind, idempotencyKey, outcome) {
          tx.persist(new SandboxOperation(kind, idempotencyKey, JSON.parse(JSON.stringify(outcome)) as Record<string, unknown>));
          await tx.flush();
        },
        charged: async (orderId) => (await tx.count(SandboxChargeRow, { orderId })) > 0,
        async charge(charge) {
          const row = new SandboxChargeRow(charge.transactionId, charge.orderId, charge.card);
          tx.persist(row);
          await tx.flush();
        },
        chargesFor: (paymentKey) => tx.find(SandboxChargeRow, { $or: [{ transactionId: paymentKey }, { card: paymentKey }] }, { orderBy: { createdAt: 'asc', transactionId: 'asc' } }),
        async markRefunded(transactionId) {
          await tx.nativeUpdate(SandboxChargeRow, { transactionId }, { refunded: true });
        },
      });
    });
}

const KNOWN_CARDS = new Set<string>(Object.values(SANDBOX_CARDS));

const declined = (code: string, message: string): ConfirmOutcome => ({ kind: 'declined', code, message });
const refused = (code: string, message: string): CancelOutcome => ({ kind: 'refused', code, message });

/**
 * A payment provider with deterministic test cards, for development and tests. It keeps the
 * promises a real provider makes: one charge per idempotency key, one charge per order, replays
 * answered from the first outcome, refunds of what it charged, also after a restart once its books
 * are in the database (`useDatabase`).
 */
export function createSandboxProvider(options: { timeoutMs: number }): SandboxProvider {
  const calls: SandboxCalls = { confirm: 0, cancel: 0, charges: 0, refunds: 0 };
  let ledger: Ledger = memoryLedger();

  async function decide(books: Books, paymentKey: string, orderId: string, amount: number): Promise<ConfirmOutcome> {
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      return declined('INVALID_AMOUNT', `The amount must be a positive whole number of won, not ${amount}.`);
    }
    if (!KNOWN_CARDS.has(paymentKey)) {
      return declined('INVALID_CARD', `That is not a sandbox test card. Use one of: ${[...KNOWN_CARDS].join(', ')}.`);
    }
    if (await books.charged(orderId)) {
      return declined('ALREADY_PROCESSED_PAYMENT', 'This order has been charged already (under another idempotency key); it was not charged again.');
    }
    if (paymentKey === SANDBOX_CARDS.decline) {
      return declined('REJECT_CARD_PAYMENT', 'The card company declined the payment (limit exceeded or insufficient balance). Try another card.');
    }
    const charge: SandboxCharge = { transactionId: `sandbox_${randomUUID()}`, orderId, card: paymentKey, refunded: false };
    await books.charge(charge);
    calls.charges += 1;
    return { kind: 'approved', transactionId: charge.transactionId, method: 'CARD', approvedAt: new Date() };
  }

  async function refund(books: Books, paymentKey: string): Promise<CancelOutcome> {
    // A test card is not one payment: it stands for the latest of its charges not yet refunded.
    const matching = await books.chargesFor(paymentKey);
    if (matching.length === 0) return refused('NOT_FOUND_PAYMENT', 'Nothing was charged with this payment key, so there is nothing to refund.');
    const open = matching.findLast((charge) => !charge.refunded);
    if (!open) return refused('ALREADY_CANCELED_PAYMENT', 'Every charge made with this payment key has been refunded already.');
    await books.markRefunded(open.transactionId);
    calls.refunds += 1;
    return { kind: 'cancelled', cancelledAt: new Date() };
  }

  return {
    name: 'sandbox',
    calls,
    useDatabase(em) {
      ledger = databaseLedger(em);
    },
    async confirm({ paymentKey, orderId, amount, idempotencyKey }) {
      calls.confirm += 1;
      // Decided and stored before any wait, so a concurrent or later call with this key gets this outcome and no charge.
      const { outcome, first } = await ledger(async (books) => {
        const earlier = (await books.answered('confirm', idempotencyKey)) as ConfirmOutcome | undefined;
        if (earlier) return { outcome: earlier, first: false };
        const decided = await decide(books, paymentKey, orderId, amount);
        await books.answer('confirm', idempotencyKey, decided);
        return { outcome: decided, first: true };
      });
      if (first && paymentKey === SANDBOX_CARDS.timeout && outcome.kind === 'approved') {
        await sleep(options.timeoutMs);
        throw new PaymentOutcomeUnknownError(
          `The sandbox did not answer within ${options.timeoutMs} ms (test card ${SANDBOX_CARDS.timeout}). Confirm again with the same idempotency key to learn the outcome.`,
        );
      }
      return outcome;
    },
    async cancel({ paymentKey, idempotencyKey }) {
      calls.cancel += 1;
      return ledger(async (books) => {
        const earlier = (await books.answered('cancel', idempotencyKey)) as CancelOutcome | undefined;
        if (earlier) return earlier;
        const outcome = await refund(books, paymentKey);
        await books.answer('cancel', idempotencyKey, outcome);
        return outcome;
      });
    },
  };
}
