import type { Logger } from '@dorandoran/service-kit';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends mail to users. Production passes a real transport; locally the log is the outbox. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/**
 * The local mail outbox: each mail, body included, is written to the log at info level.
 * This is the one place a reset code reaches a log, on purpose: it is how a developer reads the mail.
 */
export function createLogMailer(logger: Logger): Mailer {
  return {
    async send(message) {
      logger.info({ outbox: { to: message.to, subject: message.subject, body: message.text } }, 'mail (local outbox)');
    },
  };
}
