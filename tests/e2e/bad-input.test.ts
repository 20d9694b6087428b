/**
 * What every public operation answers to input it cannot take: a malformed id in its path, a
 * body that is not JSON, a body of another media type, a body that is not an object. Always a
 * 4xx problem+json, never a 5xx (the test server also fails the file on any 500).
 */
import { describe, expect, it } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { type AnyFunction, publicFunctions } from '../../shared/src/http/define-function';
import { registerAccount } from '../../shared/src/testing/accounts';
import { registerAdmin } from '../support/admin';
import { useServer } from '../support/use-server';

const server = useServer();
const functions = publicFunctions(await loadFunctions());
const ANY_ID = '6f1c9a8e-3b7d-4c2a-9e5f-1a2b3c4d5e6f';

/** The path with every `:param` filled: ids with `id` (or `bad` for the one under test), others plausibly. */
function pathOf(fn: AnyFunction, bad?: string): string {
  return fn.path.replace(/:(\w+)/g, (_, name: string) =>
    name === bad ? 'not-an-id' : name.endsWith('Id') ? ANY_ID : encodeURIComponent('👍'),
  );
}

/** A token that passes each function's authentication and role check, so that only the input can fail. */
async function callers(): Promise<(fn: AnyFunction) => string | undefined> {
  const [user, admin] = [await registerAccount(server()), await registerAdmin(server())];
  return (fn) => (fn.auth === 'public' ? undefined : (fn.auth === 'admin' ? admin : user).accessToken);
}

function expectProblem(fn: AnyFunction, what: string, response: { status: number; headers: Headers }) {
  expect({ fn: fn.name, what, status: response.status < 500 && response.status >= 400 }).toEqual({
    fn: fn.name,
    what,
    status: true,
  });
  expect(response.headers.get('content-type'), `${fn.name} ${what}`).toMatch(/^application\/problem\+json/);
}

describe('bad input', () => {
  it('a malformed id in any path is a 400 naming the parameter', async () => {
    const tokenFor = await callers();
    for (const fn of functions) {
      for (const [, name] of fn.path.matchAll(/:(\w+Id)\b/g)) {
        const response = await server().request(fn.method, pathOf(fn, name), {
          token: tokenFor(fn),
          body: fn.request.body ? {} : undefined,
        });
        expect({ fn: fn.name, status: response.status }).toEqual({ fn: fn.name, status: 400 });
        expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(
          `param.${name}`,
        );
      }
    }
  });

  it('a body that is not JSON, not an object, or of another media type is a 4xx problem', async () => {
    const tokenFor = await callers();
    for (const fn of functions.filter((each) => each.request.body)) {
      const path = pathOf(fn);
      const token = tokenFor(fn);
      expectProblem(
        fn,
        'malformed JSON',
        await server().request(fn.method, path, {
          token,
          rawBody: '{"unterminated": ',
          headers: { 'content-type': 'application/json' },
        }),
      );
      expectProblem(fn, 'an array', await server().request(fn.method, path, { token, body: [1, 2] }));
      expectProblem(fn, 'a string', await server().request(fn.method, path, { token, body: 'text' }));
      const form = await server().request(fn.method, path, {
        token,
        rawBody: 'a=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectProblem(fn, 'a form', form);
    }
  });
});
