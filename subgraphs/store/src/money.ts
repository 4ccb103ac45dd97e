/** Every amount is KRW, which has no minor units. */
export const CURRENCY = 'KRW';

export const money = (amount: number) => ({ amount, currency: CURRENCY });
