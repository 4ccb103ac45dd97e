import { startTestRouter } from '../helpers/router';
import { shop, type TestRouter, send, expectRefused, expectPassed } from './shop';

/** The body size bound, through the real router. */

describe('body size', () => {
  let router: TestRouter;
  beforeAll(async () => {
    router = await startTestRouter([shop]);
  });
  afterAll(() => router?.dispose());

  test('a body over MAX_BODY_BYTES (256 KiB) → 413 PAYLOAD_TOO_LARGE; one under it runs', async () => {
    const over = await send(router.url, { query: '{ ping }', variables: { pad: 'x'.repeat(300 * 1024) } });
    expectRefused(over, 413, 'PAYLOAD_TOO_LARGE');
    const under = await send(router.url, { query: '{ ping }', variables: { pad: 'x'.repeat(250 * 1024) } });
    expect(under.data).toEqual({ ping: 'pong' });
  });

  test('MAX_BODY_BYTES can be lowered', async () => {
    const small = await startTestRouter([shop], { env: { MAX_BODY_BYTES: '2048' } });
    try {
      expectRefused(await send(small.url, { query: '{ ping }', variables: { pad: 'x'.repeat(2100) } }), 413, 'PAYLOAD_TOO_LARGE');
      expectPassed(await send(small.url, { query: '{ ping }', variables: { pad: 'x'.repeat(1900) } }));
    } finally {
      await small.dispose();
    }
  });
});
