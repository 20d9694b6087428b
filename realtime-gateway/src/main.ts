import { startGatewayServer } from './server';

await startGatewayServer();
