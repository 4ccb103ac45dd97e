/**
 * `npm run migration:create -- <service>` diffs the service's entities against a scratch embedded
 * database migrated to the latest committed migration, writes the next migration into
 * subgraphs/<service>/src/migrations/ and lists it in that folder's index.ts.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, openDatabase } from '@dorandoran/service-kit';

async function main(service: string | undefined): Promise<void> {
  if (!service) throw new Error('Usage: npm run migration:create -- <service>');
  const root = path.resolve(__dirname, '..', 'subgraphs', service, 'src');
  const { entities } = await import(path.join(root, 'entities'));
  const { migrations } = await import(path.join(root, 'migrations'));
  const logger = createLogger(`${service}-migrations`, 'warn');
  const database = await openDatabase({ service, entities, migrations, logger });
  try {
    const folder = path.join(root, 'migrations');
    const created = await database.orm.getMigrator().createMigration(folder, false, migrations.length === 0);
    if (!created.diff.up.length) {
      console.log('The entities match the migrations; nothing to write.');
      return;
    }
    console.log(`Wrote ${path.relative(process.cwd(), path.join(folder, created.fileName))}`);
    const names = (await readdir(folder)).filter((file) => /^Migration\d+.*\.ts$/.test(file)).sort().map((file) => file.replace(/\.ts$/, ''));
    await writeFile(
      path.join(folder, 'index.ts'),
      `/* Maintained by \`npm run migration:create -- ${service}\`: every migration, oldest first. */\n` +
        names.map((name) => `import { ${name} } from './${name}';`).join('\n') +
        `\n\nexport const migrations = [${names.join(', ')}];\n`,
    );
  } finally {
    await database.close();
  }
}

main(process.argv[2]).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
