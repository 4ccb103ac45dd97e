import path from 'node:path';
import { ConfigError } from '@dorandoran/service-kit';
import { loadRouterConfig } from '../src/config';

const WEB_MANIFEST = path.resolve(__dirname, '../../web/persisted-query-manifest.json');

describe('router configuration', () => {
  test('safe defaults: every budget on, local CORS origins in development, none in production, the web manifest known', () => {
    const development = loadRouterConfig({});
    expect(development.rateLimits).toMatchObject({ enabled: true, perIp: 600, perUser: 300, authOperations: 10, cost: 100000, windowSeconds: 60 });
    expect(development.corsOrigins).toEqual(['http://localhost:3000', 'http://localhost:5173']);
    expect(development.persistedQueryManifest).toBe(WEB_MANIFEST);
    expect(development.safelist).toBe(false);
    expect(loadRouterConfig({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
  });

  test('per-subgraph timeouts fall back to SUBGRAPH_TIMEOUT_MS', () => {
    const config = loadRouterConfig({ SUBGRAPH_TIMEOUT_MS: '4000', CHAT_SUBGRAPH_TIMEOUT_MS: '900' });
    expect(config.subgraphTimeoutMs).toMatchObject({ default: 4000, chat: 900, users: 4000 });
  });

  test.each([
    [{ CORS_ORIGINS: 'https://app.example.com/path' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'not a url' }, 'CORS_ORIGINS'],
    [{ RATE_LIMIT_IP: '0' }, 'RATE_LIMIT_IP'],
    [{ MAX_DEPTH: 'deep' }, 'MAX_DEPTH'],
    [{ PERSISTED_QUERY_MANIFEST: '/nowhere/manifest.json' }, 'PERSISTED_QUERY_MANIFEST'],
    [{ BREAKER_ERROR_PERCENT: '101' }, 'BREAKER_ERROR_PERCENT'],
  ])('%j stops the router naming %s', (env, variable) => {
    expect(() => loadRouterConfig(env)).toThrow(ConfigError);
    expect(() => loadRouterConfig(env)).toThrow(variable);
  });
});
