import { readFile, stat } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import type { SupergraphManager } from '@apollo/gateway';
import type { Logger } from '@dorandoran/service-kit';
import { extractAuthPolicy, type AuthPolicy } from './authorization/policy';

export interface SupergraphSource {
  /** Hands @apollo/gateway the supergraph without the auth directives it refuses, and its updates. */
  manager: SupergraphManager;
  /** The auth policy of the supergraph the gateway currently serves. */
  policy(): AuthPolicy;
}

/**
 * Reads the committed supergraph file and polls it for changes. A changed file is swapped in by
 * the gateway between requests; one that fails to load leaves the running supergraph in place.
 */
export function fileSupergraph(file: string, pollMs: number, logger: Logger): SupergraphSource {
  let current: AuthPolicy | undefined;
  const load = async () => extractAuthPolicy(await readFile(file, 'utf8'));
  return {
    policy() {
      if (!current) throw new Error('the supergraph is not loaded yet');
      return current;
    },
    manager: {
      async initialize({ update }) {
        const first = await load();
        current = first.policy;
        let lastChange = (await stat(file)).mtimeMs;
        const onChange = async () => {
          try {
            const changed = (await stat(file)).mtimeMs;
            if (changed === lastChange) return;
            lastChange = changed;
            const next = await load();
            // The gateway validates the new supergraph and keeps the old one if it is invalid.
            update(next.strippedSupergraphSdl);
            current = next.policy;
            logger.info({ file }, 'supergraph reloaded');
          } catch (error) {
            logger.error({ err: error, file }, 'supergraph change not loaded; still serving the previous one');
          }
        };
        watchFile(file, { interval: pollMs }, onChange);
        return {
          supergraphSdl: first.strippedSupergraphSdl,
          cleanup: async () => unwatchFile(file, onChange),
        };
      },
    },
  };
}
