/**
 * What the store needs from a payment provider. Implementations: `sandbox` (in-process, test cards)
 * and `toss` (Toss Payments' HTTP API). Both honour idempotency keys: asking again with the same key
 * returns the first answer and never charges or refunds twice.
 */
export interface PaymentProvider {
  readonly name: 'sandbox' | 'toss';
  /**
   * Confirms (captures) a payment the client authorised. Resolves with the provider's verdict;
   * throws PaymentOutcomeUnknownError when there is none (timeout, network, provider 5xx): the
   * charge may or may not have happened, and confirming again with the same idempotencyKey tells.
   */
  confirm(request: ConfirmRequest): Promise<ConfirmOutcome>;
  /** Cancels (refunds) a confirmed payment in full. Same error contract as confirm. */
  cancel(request: CancelRequest): Promise<CancelOutcome>;
}

export interface ConfirmRequest {
  /** What the client's payment step returned (Toss's paymentKey, or a sandbox test card). */
  paymentKey: string;
  /** The store's order id, as the provider knows the order. */
  orderId: string;
  /** KRW, the order's total. */
  amount: number;
  /** The same for every attempt at this one payment. */
  idempotencyKey: string;
}

export type ConfirmOutcome =
  | { kind: 'approved'; /** The provider's reference for the charge. */ transactionId: string; method: string | null; approvedAt: Date }
  | { kind: 'declined'; /** The provider's reason code, e.g. REJECT_CARD_PAYMENT. */ code: string; message: string };

export interface CancelRequest {
  paymentKey: string;
  reason: string;
  idempotencyKey: string;
}

export type CancelOutcome =
  | { kind: 'cancelled'; cancelledAt: Date }
  | { kind: 'refused'; code: string; message: string };

/** The provider's answer is unknown: retry with the same idempotency key, or reconcile later. */
export class PaymentOutcomeUnknownError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaymentOutcomeUnknownError';
  }
}
