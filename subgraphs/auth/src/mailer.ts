import { createTransport } from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Logger } from '@dorandoran/service-kit';
import type { MailSettings } from './config';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends mail to users: through SMTP, or to the log (the local outbox), as MAIL_TRANSPORT says. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export function createMailer(settings: MailSettings, logger: Logger): Mailer {
  return settings.transport === 'smtp' ? createSmtpMailer(settings.smtpUrl, settings.from) : createLogMailer(logger);
}

/** Sends each mail from `from` over a new connection to the SMTP server at `url` (smtp:// or smtps://, credentials in the URL). */
export function createSmtpMailer(url: string, from: string): Mailer {
  // Bounded, so a stuck server cannot hold a shutdown (which waits for mail in flight) for nodemailer's default hour.
  const transport = createTransport(new SMTPTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }));
  return {
    async send(message) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
  };
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
