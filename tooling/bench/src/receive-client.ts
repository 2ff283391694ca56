/**
 * Child process: one side of the receive benchmark against Dovecot. Each pass is a whole polling
 * session — connect (implicit TLS), log in with USER/PASS-style password auth, list the mailbox,
 * fetch every message, log out. The first pass warms up (JIT, Dovecot caches); the second is timed.
 */
import type { CredentialSource, ReceiveConnection, ServerSettings } from '@mailplug/core';
import { ImapFlow } from 'imapflow';
import Pop3Command from 'node-pop3';
import type { ReceiveChildRequest, ReceiveChildResult } from './receive-job.js';

interface Pass {
  fetched: number;
  bytes: number;
}

function server(request: ReceiveChildRequest): ServerSettings {
  return { host: request.host, port: request.port, security: 'tls', tls: { ca: request.ca } };
}

function credentials(request: ReceiveChildRequest): CredentialSource {
  return {
    getCredential: async () => ({ kind: 'password', user: request.user, password: request.password }),
  };
}

async function drain(connection: ReceiveConnection): Promise<Pass> {
  const pass: Pass = { fetched: 0, bytes: 0 };
  for (const { id } of await connection.list()) {
    const raw = await connection.fetch(id);
    pass.fetched++;
    pass.bytes += raw.byteLength;
  }
  await connection.close();
  return pass;
}

async function mailplugPop3(request: ReceiveChildRequest): Promise<Pass> {
  const { createPop3Protocol } = await import('@mailplug/protocol-pop3');
  const pop3 = createPop3Protocol({ silenceDeprecation: true, passwordMechanism: 'user' });
  return drain(await pop3.connect(server(request), credentials(request)));
}

async function mailplugImap(request: ReceiveChildRequest): Promise<Pass> {
  const imapModule = (await import('@mailplug/protocol-imap')) as {
    createImapProtocol?: (o: { silenceDeprecation?: boolean }) => {
      connect(s: ServerSettings, c: CredentialSource): Promise<ReceiveConnection>;
    };
  };
  if (!imapModule.createImapProtocol)
    throw new Error('@mailplug/protocol-imap does not export createImapProtocol yet');
  const imap = imapModule.createImapProtocol({ silenceDeprecation: true });
  return drain(await imap.connect(server(request), credentials(request)));
}

async function nodePop3(request: ReceiveChildRequest): Promise<Pass> {
  const pop3 = new Pop3Command({
    user: request.user,
    password: request.password,
    host: request.host,
    port: request.port,
    tls: true,
    tlsOptions: { ca: request.ca },
    // Without a socket timeout a lost response would hang the pass forever.
    timeout: 10_000,
  });
  const pass: Pass = { fetched: 0, bytes: 0 };
  const listing = (await pop3.UIDL()) as string[][];
  for (const [msgNum] of listing) {
    const raw = await pop3.RETR(Number(msgNum));
    pass.fetched++;
    pass.bytes += Buffer.byteLength(raw);
  }
  await pop3.QUIT();
  return pass;
}

function imapClient(request: ReceiveChildRequest): ImapFlow {
  return new ImapFlow({
    host: request.host,
    port: request.port,
    secure: true,
    tls: { ca: request.ca },
    auth: { user: request.user, pass: request.password },
    logger: false,
  });
}

/** Raw imapflow with the adapter's access pattern: list UIDs, then one FETCH per message. */
async function imapflowEach(request: ReceiveChildRequest): Promise<Pass> {
  const client = imapClient(request);
  await client.connect();
  const pass: Pass = { fetched: 0, bytes: 0 };
  const lock = await client.getMailboxLock('INBOX');
  try {
    const uids: number[] = [];
    for await (const m of client.fetch('1:*', { uid: true, size: true })) uids.push(m.uid);
    for (const uid of uids) {
      const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
      if (message !== false && message.source) {
        pass.fetched++;
        pass.bytes += message.source.byteLength;
      }
    }
  } finally {
    lock.release();
  }
  await client.logout();
  return pass;
}

/** Raw imapflow at its best: one pipelined FETCH 1:* for every source (a reference, not the ratio). */
async function imapflowBulk(request: ReceiveChildRequest): Promise<Pass> {
  const client = imapClient(request);
  await client.connect();
  const pass: Pass = { fetched: 0, bytes: 0 };
  const lock = await client.getMailboxLock('INBOX');
  try {
    for await (const m of client.fetch('1:*', { uid: true, source: true })) {
      pass.fetched++;
      pass.bytes += m.source?.byteLength ?? 0;
    }
  } finally {
    lock.release();
  }
  await client.logout();
  return pass;
}

const sides = {
  'mailplug-pop3': mailplugPop3,
  'node-pop3': nodePop3,
  'mailplug-imap': mailplugImap,
  'imapflow-each': imapflowEach,
  'imapflow-bulk': imapflowBulk,
} as const;

async function run(request: ReceiveChildRequest): Promise<ReceiveChildResult> {
  const pass = sides[request.side];
  const warm = await pass(request);
  if (warm.fetched !== request.expected) {
    throw new Error(`warm-up pass fetched ${warm.fetched} of ${request.expected} messages`);
  }
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const timed = await pass(request);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    side: request.side,
    elapsedMs,
    cpuMicros: cpu.user + cpu.system,
    fetched: timed.fetched,
    bytes: timed.bytes,
  };
}

process.once('message', (request: ReceiveChildRequest) => {
  run(request).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }, () =>
        process.exit(1),
      ),
  );
});
