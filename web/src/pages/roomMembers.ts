import type { UsersByNicknameQuery } from '../__generated__/graphql';

type Found = NonNullable<UsersByNicknameQuery['usersByNickname']>[number];

/**
 * Who a typed nickname means, from usersByNickname's prefix matches: the one person with exactly
 * that nickname (case aside), or the only match. Nicknames are not unique, so two exact matches are
 * an error rather than a guess that could open a room with a stranger: the suggestions, which show
 * each person's avatar and bio, are how one of them is chosen.
 */
export function memberFor(nickname: string, found: readonly Found[]): Found {
  const exact = found.filter((user) => user.nickname.toLowerCase() === nickname.toLowerCase());
  if (exact.length === 1) return exact[0];
  if (exact.length > 1) throw new Error(`${exact.length} people are called "${exact[0].nickname}"; pick the one you mean from the suggestions.`);
  if (found.length === 1) return found[0];
  if (found.length === 0) throw new Error(`Nobody is called "${nickname}".`);
  throw new Error(`Several people start with "${nickname}": ${found.map((user) => user.nickname).join(', ')}. Type the whole nickname.`);
}
