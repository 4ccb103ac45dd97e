/**
 * The image and the compose file run the compiled build: `node` on an entry point that `npm run build`
 * makes, no tsx or npx at run time, as the image's unprivileged user, on Node 24 LTS. (Docker itself
 * cannot run here; this reads what it would run.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENTRY_POINTS } from '../../scripts/build';

const ROOT = path.resolve(__dirname, '..', '..');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const builtEntries = ENTRY_POINTS.map((entry) => `dist/${entry.replace(/\.ts$/, '.js')}`);

/** The Dockerfile's instructions from its last FROM on: what the image is. */
function finalStage(): string[] {
  const lines = dockerfile.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
  const lastFrom = lines.map((line) => line.startsWith('FROM ')).lastIndexOf(true);
  return lines.slice(lastFrom);
}

describe('the production image', () => {
  it('runs node on the compiled build, as the unprivileged user, on Node 24', () => {
    const stage = finalStage();
    expect(stage[0]).toMatch(/^FROM node:24-[a-z]+-slim$/);
    expect(stage).toContain('USER node');
    expect(stage).toContain('ENTRYPOINT ["node"]');
    const command = stage.find((line) => line.startsWith('CMD '))!;
    expect(builtEntries).toContain(JSON.parse(command.slice(4))[0]);
    // Only the build and the production packages are copied in; no sources, no tsx.
    expect(stage.filter((line) => line.startsWith('COPY '))).toEqual([
      'COPY --from=runtime-modules /app/node_modules node_modules',
      'COPY --from=build /app/dist dist',
    ]);
    expect(stage.join('\n')).not.toMatch(/tsx|npx/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/RUN npm run build:web && npm run build/);
    // The patches to dependencies are applied by the build stage's npm ci, before the bundles are made.
    expect(dockerfile.indexOf('COPY patches/ patches/')).toBeGreaterThan(0);
    expect(dockerfile.indexOf('COPY patches/ patches/')).toBeLessThan(dockerfile.indexOf('RUN npm ci'));
  });

  it('starts every compose service on a compiled entry point', () => {
    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }> };
    const ours = Object.entries(compose.services).filter(([, service]) => service.image === 'dorandoran/supergraph:local');
    expect(ours.map(([name]) => name).sort()).toEqual(['auth', 'batch', 'chat', 'router', 'store', 'users']);
    for (const [name, service] of ours) {
      expect([name, builtEntries.includes(service.command?.[0] ?? '')]).toEqual([name, true]);
      expect(service.environment?.SERVICE_ENTRY).toBeUndefined();
    }
  });
});
