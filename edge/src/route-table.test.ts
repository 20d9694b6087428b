import { publicFunctions } from '@secureconnect/shared/http/define-function';
import { describe, expect, it } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { ROUTES } from './route-table';

describe('the edge route table', () => {
  it('sends every public operation to its own function, with its auth, and nothing internal', async () => {
    const functions = await loadFunctions();
    for (const fn of publicFunctions(functions)) {
      const path = fn.path.replace(/:[A-Za-z]+/g, '0b5c9c8e-2f4e-4c1e-9a43-54a4f0d1e001');
      expect(ROUTES.match(fn.method, path), `${fn.method} ${fn.path}`).toEqual({
        kind: 'target',
        target: { function: fn.name, auth: fn.auth, json: fn.request.body !== undefined },
      });
    }
    for (const fn of functions.filter((candidate) => candidate.internal)) {
      expect(ROUTES.match(fn.method, fn.path).kind, fn.name).not.toBe('target');
    }
  });

  it('answers HEAD with the GET function and lets CORS preflights through without a token', () => {
    expect(ROUTES.match('HEAD', '/v1/users/me')).toEqual({
      kind: 'target',
      target: { function: 'users-me', auth: 'user', json: false },
    });
    expect(ROUTES.match('OPTIONS', '/v1/users/me')).toMatchObject({ target: { auth: 'public' } });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(ROUTES.match('DELETE', '/v1/auth/login')).toEqual({
      kind: 'method-not-allowed',
      allow: ['POST', 'OPTIONS'],
    });
    expect(ROUTES.match('GET', '/v1/users/me/extra')).toEqual({ kind: 'no-route' });
    expect(ROUTES.match('GET', '/v1/users')).toEqual({ kind: 'no-route' });
  });
});
