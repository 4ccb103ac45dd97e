import type { PaymentResolvers } from '../__generated__/resolvers-types';
import { money } from '../money';

export const Payment: PaymentResolvers = {
  amount: (payment) => money(payment.amount),
};
