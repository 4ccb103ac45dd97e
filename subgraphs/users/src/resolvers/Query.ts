import { raw, type FilterQuery } from '@mikro-orm/core';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { User } from '../entities/User.entity';
import { badUserInput, pageSize } from '@dorandoran/service-kit';
import { decodeCursor } from '../pagination';

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

export const Query: QueryResolvers = {
  me: (_parent, _args, { viewer, loaders }) => loaders.userById.load(viewer!.userId),

  user: (_parent, { id }, { loaders }) => loaders.userById.load(id),

  async usersByNickname(_parent, { nickname, first }, { em }) {
    const prefix = nickname.trim();
    if (prefix.length === 0 || prefix.length > 30) throw badUserInput('nickname', 'Give the first 1 to 30 characters of a nickname.');
    if (!Number.isInteger(first) || first! < 1 || first! > 20) throw badUserInput('first', 'first must be between 1 and 20.');
    return em.find(
      User,
      { nickname: { $ilike: `${escapeLike(prefix)}%` }, status: 'ACTIVE' },
      // Alphabetical whatever the case and the database's collation.
      { orderBy: { [raw('lower(nickname)')]: 'asc', id: 'asc' }, limit: first! },
    );
  },

  async users(_parent, { first, after, search, status }, { em }) {
    const size = pageSize(first, 'first');
    const where: FilterQuery<User> = {};
    if (status) where.status = status;
    const term = search?.trim();
    if (term) {
      const pattern = `%${escapeLike(term)}%`;
      where.$or = [{ nickname: { $ilike: pattern } }, { email: { $ilike: pattern } }];
    }
    const page: FilterQuery<User> = after ? { $and: [where, { id: { $lt: decodeCursor(after) } }] } : where;
    const rows = await em.find(User, page, { orderBy: { id: 'desc' }, limit: size + 1 });
    return {
      users: rows.slice(0, size),
      hasNextPage: rows.length > size,
      hasPreviousPage: Boolean(after),
      count: () => em.count(User, where),
    };
  },
};
