import { eventEntities } from '@dorandoran/service-kit';
import { JobRun } from './JobRun.entity';
import { JobState } from './JobState.entity';
import { ReportFact } from './ReportFact.entity';

/** Every entity of this subgraph, listed explicitly for the ORM. */
export const entities = [JobState, JobRun, ReportFact, ...eventEntities];
