import type { FilterQuery } from '@mikro-orm/core';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { User } from '../entities/User.entity';
import { pageSize } from '@dorandoran/service-kit';
import { decodeCursor } from '../pagination';

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

export const Query: QueryResolvers = {
  me: (_parent, _args, { viewer, loaders }) => loaders.userById.load(viewer!.userId),

  user: (_parent, { id }, { loaders }) => loaders.userById.load(id),

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
