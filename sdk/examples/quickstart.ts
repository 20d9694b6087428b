// Quickstart: two users, a group, a message, and live events with automatic recovery.
// Run it against a server: SECURECONNECT_URL=http://localhost:8080 node --import tsx sdk/examples/quickstart.ts
import { RealtimeClient, SecureConnectClient, SecureConnectError } from '@secureconnect/client';
import { WebSocket } from 'ws'; // Node 20 has no WebSocket of its own; browsers do

const baseUrl = process.env.SECURECONNECT_URL ?? 'http://localhost:8080';
const unique = Date.now();

// 1. Accounts: register (or `auth.login`). The client keeps the session's tokens, refreshes
//    them when they expire and tells you about every new pair, so you can store them.
const alice = new SecureConnectClient({ baseUrl });
await alice.auth.register({
  email: `alice-${unique}@example.com`,
  password: 'a long passphrase',
  displayName: 'Alice',
});
const bob = new SecureConnectClient({
  baseUrl,
  onTokens: (tokens) => console.log(tokens ? 'bob: tokens saved' : 'bob: logged out'),
});
const { user: bobUser } = await bob.auth.register({
  email: `bob-${unique}@example.com`,
  password: 'another long passphrase',
  displayName: 'Bob',
});

// 2. Alice creates a group with Bob in it.
const group = await alice.conversations.create({
  type: 'group',
  title: 'Book club',
  memberIds: [bobUser.id],
});

// 3. Bob listens. Cursors (the last seq seen per conversation) are what to persist: a client
//    started again with them catches up on what it missed, without repeats.
let savedCursors: Record<string, number> = {};
const realtime = new RealtimeClient(bob, { WebSocket, cursors: savedCursors });
const received = new Promise<void>((resolve) => {
  realtime.on('event', (event) => {
    if (event.event === 'message.created') {
      console.log(`bob got #${event.seq} in ${group.title}: ${event.data.message.body}`);
      resolve();
    }
    savedCursors = realtime.cursors();
  });
});
realtime.on('state', (state) => console.log(`bob's connection: ${state}`));
await realtime.connect();

// 4. Alice sends. A retried send cannot post twice: the SDK gives each message an id.
await alice.messages.send(group.id, { body: 'Chapter 3 tonight?' });
await received;

// 5. Errors are problem documents: status, title, detail and the fields at fault.
try {
  await alice.messages.send(group.id, { body: '' });
} catch (error) {
  if (!(error instanceof SecureConnectError)) throw error;
  console.log(`refused: ${error.status} ${error.errors?.map((e) => `${e.field} ${e.message}`).join(', ')}`);
}

realtime.close();
console.log(`cursors to save: ${JSON.stringify(savedCursors)}`);
