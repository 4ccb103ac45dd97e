import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The envelope sender. */
  from: string;
  /** The envelope recipients, comma-separated. */
  to: string;
  /** The message as sent: headers, a blank line, the body. */
  raw: string;
}

export interface TestSmtpServer {
  /** smtp://user:password@127.0.0.1:port, the form SMTP_URL takes. */
  url: string;
  received: ReceivedMail[];
  /** Makes the server hang before accepting mail, as a stuck one does, until the returned function is called. */
  stall(): () => void;
  close(): Promise<void>;
}

/** A real SMTP server on a loopback port that accepts mail only after a login with the credentials in `url`. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const [user, password] = ['mailer', randomBytes(8).toString('hex')];
  const received: ReceivedMail[] = [];
  let stalled = Promise.resolve();
  const server = new SMTPServer({
    // Plain SMTP on loopback: no TLS to negotiate, so login must be allowed without it.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) callback(null, { user });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        await stalled;
        const { mailFrom, rcptTo } = session.envelope;
        const to = rcptTo.map((rcpt) => rcpt.address).join(', ');
        received.push({ from: mailFrom ? mailFrom.address : '', to, raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://${user}:${password}@127.0.0.1:${port}`,
    received,
    stall() {
      let release!: () => void;
      stalled = new Promise((resolve) => (release = resolve));
      return release;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Polls `mail` until `count` messages to `to` have arrived or `withinMs` has passed, and returns
 * those that did: reset mail is sent after requestPasswordReset has answered.
 */
export async function waitForMail<T extends { to: string }>(mail: T[], to: string, count = 1, withinMs = 3000): Promise<T[]> {
  const deadline = Date.now() + withinMs;
  const sent = () => mail.filter((message) => message.to === to);
  while (sent().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return sent();
}
