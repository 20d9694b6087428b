import { startDevServer } from './lib/dev-server';

await startDevServer();
