import { rule } from 'graphql-shield';
import { administrator } from '@dorandoran/service-kit';
import type { Context } from '../context';

export const isAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: Context) => administrator(viewer));
