import { createLogger } from '@dorandoran/service-kit';
import { createMailer } from '../src/mailer';
import { startSmtpServer, waitForMail, type TestSmtpServer } from './helpers/mail';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(() => smtp?.close());

const logger = createLogger('mailer-test', 'silent');
const message = { to: 'mina@example.com', subject: 'Your DoranDoran password reset code', text: 'Your password reset code is 123456.' };

describe('createMailer with MAIL_TRANSPORT=smtp', () => {
  test('logs in with the credentials in SMTP_URL and delivers the mail from MAIL_FROM', async () => {
    const mailer = createMailer({ transport: 'smtp', smtpUrl: smtp.url, from: 'DoranDoran Test <reset@example.test>' }, logger);
    await mailer.send(message);
    const [received] = await waitForMail(smtp.received, 'mina@example.com');
    expect(received.from).toBe('reset@example.test');
    expect(received.raw).toMatch(/^From: DoranDoran Test <reset@example\.test>\r$/m);
    expect(received.raw).toMatch(/^To: mina@example\.com\r$/m);
    expect(received.raw).toMatch(/^Subject: Your DoranDoran password reset code\r$/m);
    expect(received.raw).toMatch(/Your password reset code is 123456\./);
  });

  test('fails when the server refuses the credentials', async () => {
    const wrong = smtp.url.replace(/:[0-9a-f]+@/, ':wrong@');
    const mailer = createMailer({ transport: 'smtp', smtpUrl: wrong, from: 'DoranDoran <no-reply@localhost>' }, logger);
    await expect(mailer.send(message)).rejects.toThrow(/Invalid login/);
  });
});
