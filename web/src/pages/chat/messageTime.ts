/** A local calendar day as `YYYY-MM-DD`: what `<time datetime>` takes for a day, and how messages are grouped. */
export function dayOf(at: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** "Today", "Yesterday", else the date in the reader's language (the year only when it is not this year's). */
export function dayLabel(day: string, now: Date = new Date(), locale?: string): string {
  if (day === dayOf(now)) return 'Today';
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (day === dayOf(yesterday)) return 'Yesterday';
  const [year, month, date] = day.split('-').map(Number);
  const options: Intl.DateTimeFormatOptions = { weekday: 'long', month: 'long', day: 'numeric' };
  if (year !== now.getFullYear()) options.year = 'numeric';
  return new Intl.DateTimeFormat(locale, options).format(new Date(year, month - 1, date));
}

/** The time of day a message was sent, in the reader's language and clock. */
export const timeLabel = (at: Date, locale?: string) => new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(at);

/** Consecutive items sent on one local day. */
export interface DayGroup<T> {
  day: string;
  items: T[];
}

/** Splits items (oldest first) into runs of one local day each. */
export function groupByDay<T extends { createdAt: string }>(items: readonly T[]): DayGroup<T>[] {
  const groups: DayGroup<T>[] = [];
  for (const item of items) {
    const day = dayOf(new Date(item.createdAt));
    const last = groups.at(-1);
    if (last?.day === day) last.items.push(item);
    else groups.push({ day, items: [item] });
  }
  return groups;
}
