import type { TestAccount } from '../../shared/src/testing/accounts';
import type { TestServer } from '../../shared/src/testing/test-server';

export interface PollInput {
  question?: string;
  options?: string[];
  multipleChoice?: boolean;
  anonymous?: boolean;
  closesAt?: string | null;
  clientMessageId?: string;
}

/** Posts a poll through the API and returns it (the creator's view). */
export async function createPoll(
  server: TestServer,
  creator: TestAccount,
  conversationId: string,
  input: PollInput = {},
) {
  const response = await server.request('POST', `/v1/conversations/${conversationId}/polls`, {
    token: creator.accessToken,
    body: { question: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], ...input },
  });
  if (response.status !== 201)
    throw new Error(`poll create failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as {
    id: string;
    messageId: string;
    version: number;
    options: Array<{ id: string; text: string; votes: number; voterIds: string[] | null }>;
  };
}

/** Votes through the API; answers the raw response so tests can check refusals too. */
export function vote(server: TestServer, voter: TestAccount, pollId: string, optionIds: string[]) {
  return server.request('PUT', `/v1/polls/${pollId}/vote`, { token: voter.accessToken, body: { optionIds } });
}

/** The conversation's `poll.updated` snapshots of one poll, in log order. */
export async function pollSnapshots(
  server: TestServer,
  reader: TestAccount,
  conversationId: string,
  pollId: string,
) {
  const response = await server.request('GET', `/v1/conversations/${conversationId}/events?limit=500`, {
    token: reader.accessToken,
  });
  return (response.body.items as Array<{ event: string; data: { poll: { id: string; version: number } } }>)
    .filter((event) => event.event === 'poll.updated' && event.data.poll.id === pollId)
    .map((event) => event.data.poll);
}
