/**
 * `npm run admin:create -- --email someone@example.com` gives ADMIN to an account that signed up
 * the normal way. It never creates an account or a password. It uses AUTH_DATABASE_URL or
 * DATABASE_URL, else the embedded database under DATA_DIR, which only one process can open at a time.
 */
import { parseArgs } from 'node:util';
import { createLogger, databaseTarget, openDatabase } from '@dorandoran/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadAuthConfig } from '../config';
import { normalizeEmail } from '../credentials';
import { entities } from '../entities';
import { migrations } from '../migrations';
import { grantAdmin } from '../roles';

const MESSAGES = {
  granted: (email: string) => `${email} is now an administrator. Their next sign-in (or token refresh) carries the admin scope.`,
  'already admin': (email: string) => `${email} is already an administrator; nothing changed.`,
  'no account': (email: string) => `No account has the email ${email}. Sign up first (signUp through the router), then run this again.`,
  'not active': (email: string) => `The account ${email} is suspended or deleted; reactivate it (setUserStatus) before making it an administrator.`,
};

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { email: { type: 'string' } } });
  if (!values.email?.trim()) {
    console.error('Usage: npm run admin:create -- --email someone@example.com');
    return 2;
  }
  const email = normalizeEmail(values.email);
  const config = loadAuthConfig(process.env);
  const target = databaseTarget(config);
  // With the embedded database this fails with a clear message while the service runs (one process per data folder).
  const database = await openDatabase({ service: 'auth', entities, migrations, logger: createLogger('admin-create', 'warn'), ...target });
  try {
    const result = await grantAdmin((database.orm.em as EntityManager).fork(), email);
    (result === 'granted' || result === 'already admin' ? console.log : console.error)(MESSAGES[result](email));
    return result === 'granted' || result === 'already admin' ? 0 : 1;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
