import { createHash } from 'node:crypto';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { Logger } from '@dorandoran/service-kit';
import { buildSchema, GraphQLError, type GraphQLSchema } from 'graphql';
import type { RouterContext } from '../context';
import { asksViewerIndependentOnly } from '../viewerIndependence';
import type { EntityLookup, EntityStore } from './stores';

/** Distinct subgraph fetch texts whose cacheability is remembered. */
const MAX_KNOWN_FETCHES = 2000;

/** A value larger than this is not worth a cache slot (a user's public profile is ~200 bytes). */
const MAX_VALUE_BYTES = 16 * 1024;

export type CacheResult = 'hit' | 'miss' | 'unavailable';

/** After the store fails, fetches pass it by this long instead of each waiting out its timeout. */
export const STORE_RETRY_MS = 5000;

export interface EntityCacheOptions {
  store: EntityStore;
  ttlMs: number;
  /** @default STORE_RETRY_MS */
  retryMs?: number;
  logger: Logger;
  /** Told of each entity looked up, and of lookups the store could not answer. */
  counted(subgraph: string, result: CacheResult, count: number): void;
}

/**
 * The router's entity cache: an `_entities` fetch that asks only for fields the supergraph marks
 * @viewerIndependent is answered per entity from the store, and only the entities missing there
 * are fetched (and then stored, for `ttlMs`, until their owner's event invalidates them). What
 * depends on the viewer never enters it: one field without the mark makes the whole fetch pass by.
 * The store failing (Redis away or slow) costs nothing but the cache: the fetch goes to the
 * subgraph as without it, and so do the fetches of the next `retryMs`, without asking the store
 * (one warning per outage, not one per request).
 */
export class EntityCache {
  private schema: GraphQLSchema | undefined;
  /** Per subgraph fetch text: its selection's hash when cacheable, null when not. */
  private readonly known = new Map<string, string | null>();
  /** Until when fetches pass the store by (0: it answered last time). */
  private storeDownUntil = 0;

  constructor(private readonly options: EntityCacheOptions) {}

  /** The supergraph the fields' marks are read from; what was decided for the previous one is forgotten. */
  useSupergraph(supergraphSdl: string): void {
    this.schema = buildSchema(supergraphSdl, { assumeValidSDL: true });
    this.known.clear();
  }

  /** `source` with its cacheable entity fetches answered from the cache where it can. */
  wrap(subgraph: string, source: GraphQLDataSource<RouterContext>): GraphQLDataSource<RouterContext> {
    return { process: (options) => this.process(subgraph, source, options) };
  }

  async invalidate(entities: readonly string[]): Promise<void> {
    await this.options.store.invalidate(entities);
  }

  private selectionOf(query: string): string | null {
    let selection = this.known.get(query);
    if (selection === undefined) {
      selection = this.schema && asksViewerIndependentOnly(query, this.schema) ? createHash('sha256').update(query).digest('base64url').slice(0, 22) : null;
      if (this.known.size >= MAX_KNOWN_FETCHES) this.known.delete(this.known.keys().next().value!);
      this.known.set(query, selection);
    }
    return selection;
  }

  private async process(subgraph: string, source: GraphQLDataSource<RouterContext>, options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const cacheable = request.query ? this.selectionOf(request.query) : null;
    const { representations, ...otherVariables } = request.variables ?? {};
    if (!cacheable || !Array.isArray(representations) || representations.length === 0) return source.process(options);
    // Arguments the plan passes as variables are part of what was asked.
    const selection = Object.keys(otherVariables).length ? `${cacheable} ${JSON.stringify(otherVariables)}` : cacheable;
    const lookups = representations.map((representation) => lookupOf(subgraph, selection, representation));

    if (Date.now() < this.storeDownUntil) {
      this.options.counted(subgraph, 'unavailable', representations.length);
      return source.process(options);
    }
    let cached: (string | undefined)[];
    let fetchedSince: number;
    try {
      [cached, fetchedSince] = await Promise.all([this.options.store.get(lookups), this.options.store.now()]);
    } catch (error) {
      this.storeFailed(subgraph, representations.length, error as Error);
      return source.process(options);
    }
    if (this.storeDownUntil) {
      this.storeDownUntil = 0;
      this.options.logger.info('entity cache reachable again');
    }
    const missing = cached.flatMap((json, index) => (json === undefined ? [index] : []));
    this.options.counted(subgraph, 'hit', representations.length - missing.length);
    this.options.counted(subgraph, 'miss', missing.length);
    const entities: unknown[] = cached.map((json) => (json === undefined ? null : JSON.parse(json)));
    if (missing.length === 0) return { data: { _entities: entities } };

    // Asked without the viewer's token, as shared subscription fetches are: what an anonymous
    // caller is answered anyone may see, so a field marked by mistake is refused, never leaked.
    const response = await source.process({
      ...options,
      context: { ...(options.context as RouterContext), viewer: null },
      request: { ...request, variables: { ...request.variables, representations: missing.map((index) => representations[index]) } },
    });
    const fetched = (response.data?._entities ?? []) as unknown[];
    const failed = new Set<number>();
    const errors = response.errors?.map((error) => {
      const [field, position, ...rest] = error.path ?? [];
      if (field !== '_entities' || typeof position !== 'number') return error;
      failed.add(position);
      return new GraphQLError(error.message, { path: ['_entities', missing[position], ...rest], extensions: error.extensions });
    });
    const fills: (EntityLookup & { json: string })[] = [];
    missing.forEach((index, position) => {
      const entity = fetched[position] ?? null;
      entities[index] = entity;
      if (entity === null || failed.has(position) || response.errors?.some((error) => !error.path)) return;
      const json = JSON.stringify(entity);
      if (json.length <= MAX_VALUE_BYTES) fills.push({ ...lookups[index], json });
    });
    // Stored after answering: the caller does not wait for the cache.
    this.options.store.set(fills, fetchedSince, this.options.ttlMs).catch((error: Error) => this.storeFailed(subgraph, fills.length, error));
    return { ...response, data: { ...response.data, _entities: entities }, errors };
  }

  private storeFailed(subgraph: string, entities: number, error: Error): void {
    this.options.counted(subgraph, 'unavailable', entities);
    if (!this.storeDownUntil) this.options.logger.warn({ err: error.message, subgraph }, 'entity cache unavailable; fetching from the subgraphs until it answers again');
    this.storeDownUntil = Date.now() + (this.options.retryMs ?? STORE_RETRY_MS);
  }
}

/** The entity `<subgraph>:<type>:<id>`; the representation's fields besides these go with the selection. */
export function lookupOf(subgraph: string, selection: string, representation: unknown): EntityLookup {
  const { __typename, id, ...rest } = representation as { __typename?: unknown; id?: unknown };
  const others = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
  // A type keyed by something other than `id` is one entity per representation: it expires by TTL alone.
  if (typeof id !== 'string') return { entity: `${subgraph}:${String(__typename)}:${JSON.stringify(representation)}`, selection };
  return { entity: entityId(subgraph, String(__typename), id), selection: `${selection}${others}` };
}

export const entityId = (subgraph: string, type: string, id: string) => `${subgraph}:${type}:${id}`;
