/**
 * The HTTP ceiling: a bare Hono hello-world on @hono/node-server — the same framework and server
 * adapter our functions run on, with no middleware and no stores.
 *
 *   node --import tsx bench/systems/hono-hello.ts      env: PORT
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok' }));
app.post('/hello', (c) => c.json({ hello: 'world' }, 201));
app.get('/hello', (c) => c.text('Hello Hono!'));

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
process.once('SIGTERM', () => server.close(() => process.exit(0)));
