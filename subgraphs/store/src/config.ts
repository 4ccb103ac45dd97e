import { ConfigError, readCommonConfig, readEnv, type CommonConfig, type Environment } from '@dorandoran/service-kit';

export interface StoreConfig extends CommonConfig {
  port: number;
  /** STORE_DATABASE_URL names this service's database exactly; DATABASE_URL names a server. */
  exactDatabase: boolean;
  paymentProvider: 'sandbox' | 'toss';
  /** How long one call to the provider may take before its outcome counts as unknown. */
  paymentTimeoutMs: number;
  tossApiUrl: string;
  tossSecretKey: string | undefined;
  /** Signs the provider's webhook notifications; generated under DATA_DIR when unset (not in production with toss). */
  paymentWebhookSecret: string | undefined;
  /** How often payments left unsettled (provider timeouts) are confirmed again. */
  paymentReconcileIntervalSeconds: number;
  /** Fill an empty catalog with sample products at start (`npm start` turns it on). */
  sampleCatalog: boolean;
}

export function loadStoreConfig(env: Environment): StoreConfig {
  const read = readEnv(env);
  const common = readCommonConfig(env);
  const ownDatabase = read.url('STORE_DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  const configuredProvider = read.optional('PAYMENT_PROVIDER');
  if (common.mode === 'production' && !configuredProvider) {
    // The sandbox approves test cards without money moving: production must choose it on purpose.
    throw new ConfigError('PAYMENT_PROVIDER', 'must be set in production: toss (with TOSS_SECRET_KEY), or sandbox for a trial without real payments');
  }
  const paymentProvider = read.oneOf('PAYMENT_PROVIDER', ['sandbox', 'toss'] as const, 'sandbox');
  const tossSecretKey = read.optional('TOSS_SECRET_KEY');
  if (paymentProvider === 'toss' && !tossSecretKey) throw new ConfigError('TOSS_SECRET_KEY', 'must be set when PAYMENT_PROVIDER=toss (the secret key from the Toss Payments console)');
  const paymentWebhookSecret = read.optional('PAYMENT_WEBHOOK_SECRET');
  if (paymentProvider === 'toss' && common.mode === 'production' && !paymentWebhookSecret) {
    throw new ConfigError('PAYMENT_WEBHOOK_SECRET', 'must be set in production with PAYMENT_PROVIDER=toss (the key the payment webhooks are signed with)');
  }
  const sampleCatalog = read.bool('SAMPLE_CATALOG', false);
  if (sampleCatalog && common.mode === 'production') {
    throw new ConfigError('SAMPLE_CATALOG', 'is for trying the app locally: in production the catalog is what administrators create (createProduct)');
  }
  return Object.freeze({
    ...common,
    databaseUrl: ownDatabase ?? common.databaseUrl,
    exactDatabase: ownDatabase !== undefined,
    port: read.int('STORE_PORT', 8084, { min: 0, max: 65535 }),
    paymentProvider,
    paymentTimeoutMs: read.int('PAYMENT_TIMEOUT_MS', 10000, { min: 100, max: 120000 }),
    tossApiUrl: read.url('TOSS_API_URL', 'https://api.tosspayments.com')!,
    tossSecretKey,
    paymentWebhookSecret,
    paymentReconcileIntervalSeconds: read.seconds('PAYMENT_RECONCILE_INTERVAL', '30s'),
    sampleCatalog,
  });
}
