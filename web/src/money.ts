/** Money as the graph sends it: whole won (minor units of KRW). */
export const formatMoney = ({ amount, currency }: { amount: number; currency: string }) =>
  new Intl.NumberFormat('ko-KR', { style: 'currency', currency }).format(amount);
