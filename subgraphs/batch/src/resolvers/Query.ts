import { badCursor, decodeCursor, encodeCursor, isUuid, pageSize } from '@dorandoran/service-kit';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { JobRun } from '../entities/JobRun.entity';
import { dailyReport, localDate } from '../reports';
import { calendarDay } from '../scalars';

export const Query: QueryResolvers = {
  jobs: (_parent, _args, { batch }) => batch.engine.jobs(),

  async jobRuns(_parent, { job, first, after }, { em }) {
    const limit = pageSize(first, 'first');
    const before = after ? decodeCursor(after, 'run', 'after') : undefined;
    if (before !== undefined && !isUuid(before)) throw badCursor(after!, 'after');
    const runs = await em.find(
      JobRun,
      { ...(job ? { job } : {}), ...(before ? { id: { $lt: before } } : {}) },
      { orderBy: { id: 'desc' }, limit: limit + 1 },
    );
    const page = runs.slice(0, limit);
    const edges = page.map((run) => ({ cursor: encodeCursor('run', run.id), node: run }));
    return {
      edges,
      pageInfo: { hasNextPage: runs.length > limit, hasPreviousPage: Boolean(after), startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    };
  },

  async dailyReport(_parent, args, { em, batch }) {
    const date = calendarDay('date', args.date);
    if (date > localDate(batch.timeZone)) return null;
    return dailyReport(em, date, batch.timeZone);
  },
};
