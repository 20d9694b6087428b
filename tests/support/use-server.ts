import { afterAll, beforeAll } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';

/**
 * One server with every function for the enclosing test file, on the run's real backends.
 * Returns a getter because the server exists only once `beforeAll` has run.
 */
export function useServer(env: Record<string, string> = {}): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer({ functions: await loadFunctions(), env });
  });
  afterAll(() => server?.close());
  return () => {
    if (!server) throw new Error('the test server is not running');
    return server;
  };
}
