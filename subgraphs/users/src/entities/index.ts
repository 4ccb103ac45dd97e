import { eventEntities } from '@dorandoran/service-kit';
import { User } from './User.entity';

/** Every entity of this subgraph, listed explicitly for the ORM. */
export const entities = [User, ...eventEntities];
