import { readFileSync } from 'node:fs';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Constructor, EntityClass } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'graphql';
import type { IRules } from 'graphql-shield';
import type { Metric } from 'prom-client';
import type { CommonConfig } from './config';
import { openDatabase, type Database } from './database';
import { createEventRecorder, startServiceEvents, type EventHandlers, type EventRecorder, type EventTransport } from './events';
import type { HttpRoute } from './http';
import { createRemoteTokenVerifier, type TokenVerifier, type Viewer } from './identity';
import { createLogger, type Logger } from './logger';
import { protectSchema } from './permissions';
import type { RevocationStore } from './revocations';
import { loadRouterSecret } from './secrets';
import { databaseTarget, serviceReadiness, type DatabaseTarget, type RunningService } from './service';
import { createSubgraphServer, type RequestIdentity } from './subgraph';

/** What every subgraph's config holds besides the common settings. */
export interface SubgraphConfig extends CommonConfig {
  port: number;
  /** `<NAME>_DATABASE_URL` names this service's database exactly; DATABASE_URL names a server. */
  exactDatabase?: boolean;
}

/** What a subgraph shares with the services started beside it (one process under `npm start`, or its own). */
export interface SubgraphDeps {
  revocations: RevocationStore;
  events: EventTransport;
  logger?: Logger;
  /** Overrides where data lives (tests): a fresh server database, or `{}` for in-memory PGlite. */
  database?: DatabaseTarget;
}

/** What a spec's hooks get: the service's config and deps, and what the starter has opened for it. */
export interface SubgraphSetup<TConfig extends SubgraphConfig, TDeps extends SubgraphDeps> {
  config: TConfig;
  deps: TDeps;
  logger: Logger;
  /** The service's own database, open and migrated. */
  database: Database;
  /** The ORM's root EntityManager: fork it for each unit of work. */
  em: EntityManager;
  routerSecret: string;
  /** Writes this service's events into its outbox, with the change that causes them. */
  events: EventRecorder;
  /** Registers what the spec opened; closed after the server and the events, newest first. */
  onClose(close: () => unknown): void;
}

/** Work repeated in the background while the service runs, such as settling payments a timeout left open. */
export interface SubgraphTimer {
  /** Names the work in the warning logged when a run fails. */
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/** What every subgraph's context holds; each adds its domain services under its own name (users, chat, …). */
export interface RequestContext<TLoaders> {
  /** A fork of the ORM's EntityManager for this request (or this subscription event) only. */
  em: EntityManager;
  viewer: Viewer | null;
  /** The request carries the router secret (router or another service). */
  trusted: boolean;
  loaders: TLoaders;
}

/** The shared part of a request's context: a fork of the root `em` and the loaders over that fork. */
export function requestContext<TLoaders>(
  em: EntityManager,
  identity: RequestIdentity,
  createLoaders: (fork: EntityManager, viewer: Viewer | null) => TLoaders,
): RequestContext<TLoaders> {
  const fork = em.fork();
  return { em: fork, viewer: identity.viewer, trusted: identity.trusted, loaders: createLoaders(fork, identity.viewer) };
}

/**
 * A subgraph, declared: its schema and rules, its data, its context and what it builds besides.
 * `startSubgraph` does the wiring, the same for every subgraph.
 */
export interface SubgraphSpec<
  TConfig extends SubgraphConfig,
  TDeps extends SubgraphDeps,
  TServices,
  TContext extends BaseContext,
  TRunning extends object = object,
> {
  /** Names the database (`dorandoran_<name>`), the logger, the metrics and the events' producer. */
  name: string;
  /** The path of the subgraph's schema.graphql. */
  schema: string;
  resolvers: unknown;
  /** The graphql-shield rules, put around the built schema (protectSchema). */
  permissions: IRules;
  entities: EntityClass<unknown>[];
  migrations: Constructor<Migration>[];
  /** Builds what the resolvers and handlers use besides the database, once per service. */
  services(setup: SubgraphSetup<TConfig, TDeps>): Promise<TServices> | TServices;
  /** Each request's (and each subscription's) context; `em` is the root EntityManager, to fork. */
  context(em: EntityManager, services: TServices, identity: RequestIdentity): TContext;
  /** The events this service consumes. */
  handlers?(services: TServices, setup: SubgraphSetup<TConfig, TDeps>): EventHandlers;
  /** HTTP routes besides /graphql, /health, /ready and /metrics. */
  routes?(services: TServices, setup: SubgraphSetup<TConfig, TDeps>): HttpRoute[];
  /** What /health adds to the service's name. */
  health?(services: TServices): Record<string, unknown>;
  /** Series of the service's own besides the outbox's, served on /metrics. */
  metrics?(services: TServices): Metric[];
  timers?(services: TServices, setup: SubgraphSetup<TConfig, TDeps>): SubgraphTimer[];
  /** How tokens are verified. @default against auth's published keys (config.jwksUrl) */
  verifier?(services: TServices, setup: SubgraphSetup<TConfig, TDeps>): TokenVerifier;
  /** Apollo Server plugins of the subgraph's own. */
  plugins?(): ApolloServerPlugin<TContext>[];
  /** Serve the schema's subscriptions over graphql-ws on the same port and path. */
  subscriptions?: boolean;
  /** What the "listening" log line says besides the port. */
  describe?(services: TServices, setup: SubgraphSetup<TConfig, TDeps>): Record<string, unknown>;
  /** What the started service offers its launcher and tests besides RunningService. */
  running?(services: TServices, setup: SubgraphSetup<TConfig, TDeps>): TRunning;
}

/**
 * Starts a subgraph from its spec: opens and migrates its database, loads the router secret, builds
 * the spec's services, starts its outbox relay and event consumer, then serves GraphQL (HTTP and
 * graphql-ws) with /health, /ready and /metrics on config.port, and starts its timers. close() undoes
 * it newest first: timers, server, events, the spec's services, database. A start that fails half-way
 * closes what it had opened the same way before it throws.
 */
export async function startSubgraph<
  TConfig extends SubgraphConfig,
  TDeps extends SubgraphDeps,
  TServices,
  TContext extends BaseContext,
  TRunning extends object,
>(spec: SubgraphSpec<TConfig, TDeps, TServices, TContext, TRunning>, config: TConfig, deps: TDeps): Promise<RunningService & TRunning> {
  const logger = deps.logger ?? createLogger(spec.name, config.logLevel);
  const opened: (() => unknown)[] = [];
  // Every close runs even when one fails, so that one broken piece does not keep the database open.
  const closeAll = async () => {
    const failures: unknown[] = [];
    for (const close of opened.splice(0).reverse()) await Promise.resolve().then(close).catch((error) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  };
  try {
    const database = await openDatabase({
      service: spec.name,
      entities: spec.entities,
      migrations: spec.migrations,
      logger,
      ...(deps.database ?? databaseTarget(config)),
      timeoutMs: config.databaseTimeoutMs,
    });
    opened.push(() => database.close());
    const em = database.orm.em as EntityManager;
    const setup: SubgraphSetup<TConfig, TDeps> = {
      config,
      deps,
      logger,
      database,
      em,
      routerSecret: await loadRouterSecret(config.routerSecret, config.dataDir),
      events: createEventRecorder(spec.name),
      onClose: (close) => opened.push(close),
    };
    const services = await spec.services(setup);
    const events = await startServiceEvents({ service: spec.name, orm: database.orm, transport: deps.events, logger, handlers: spec.handlers?.(services, setup) });
    opened.push(() => events.close());
    const server = await createSubgraphServer<TContext>({
      name: spec.name,
      typeDefs: parse(readFileSync(spec.schema, 'utf8')),
      resolvers: spec.resolvers,
      protect: (schema) => protectSchema(schema, spec.permissions),
      context: (identity) => spec.context(em, services, identity),
      verifier: spec.verifier?.(services, setup) ?? createRemoteTokenVerifier(config, deps.revocations),
      routerSecret: setup.routerSecret,
      logger,
      mode: config.mode,
      readiness: serviceReadiness(database, deps.events),
      metrics: [...events.metrics, ...(spec.metrics?.(services) ?? [])],
      subscriptions: spec.subscriptions,
      routes: spec.routes?.(services, setup),
      health: spec.health && (async () => spec.health!(services)),
      plugins: spec.plugins?.(),
    });
    opened.push(() => server.close());
    const port = await server.listen(config.port);
    for (const timer of spec.timers?.(services, setup) ?? []) opened.push(repeat(timer, logger));
    logger.info({ port, ...spec.describe?.(services, setup) }, `${spec.name} subgraph listening`);
    const running = spec.running?.(services, setup) ?? ({} as TRunning);
    return { ...running, name: spec.name, port, url: `http://localhost:${port}/graphql`, close: closeAll };
  } catch (error) {
    await closeAll().catch((closeError: unknown) => logger.warn({ err: (closeError as Error).message }, 'closing after a failed start failed'));
    throw error;
  }
}

/** Runs the timer's work every `everyMs`; a run still going is not joined by another. Returns its stop, which awaits that run. */
function repeat(timer: SubgraphTimer, logger: Logger): () => Promise<void> {
  let running: Promise<void> | undefined;
  const interval = setInterval(() => {
    running ??= timer
      .run()
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: (error as Error).message }, `${timer.name} failed`),
      )
      .finally(() => (running = undefined));
  }, timer.everyMs);
  interval.unref();
  return async () => {
    clearInterval(interval);
    await running;
  };
}
