import type { Logger } from '@dorandoran/service-kit';
import type { PaymentProvider } from './provider';
import { createSandboxProvider, type SandboxProvider } from './sandbox';
import { createTossProvider } from './toss';

export * from './provider';
export { createSandboxProvider, SANDBOX_CARDS, type SandboxCalls, type SandboxProvider } from './sandbox';
export { createTossProvider, type TossProviderOptions } from './toss';
export {
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TRANSMISSION_ID_HEADER,
  WEBHOOK_TRANSMISSION_TIME_HEADER,
  type WebhookVerification,
} from './webhookSignature';

export interface PaymentProviderConfig {
  provider: 'sandbox' | 'toss';
  timeoutMs: number;
  tossApiUrl: string;
  tossSecretKey?: string;
}

/** The provider the configuration names; toss without its secret key is refused at startup, not at the first payment. */
export function createPaymentProvider(config: PaymentProviderConfig, logger?: Logger): PaymentProvider {
  if (config.provider === 'sandbox') return createSandboxProvider({ timeoutMs: config.timeoutMs });
  if (!config.tossSecretKey) {
    throw new Error('The toss payment provider needs TOSS_SECRET_KEY (test_sk_… or live_sk_… from the Toss Payments developer center).');
  }
  return createTossProvider({ apiUrl: config.tossApiUrl, secretKey: config.tossSecretKey, timeoutMs: config.timeoutMs, logger });
}

export const isSandboxProvider = (provider: PaymentProvider): provider is SandboxProvider => provider.name === 'sandbox' && 'useDatabase' in provider;
