/**
 * SMTP servers on loopback for the probe tests: real smtp-server instances and small raw node:net
 * servers for the shapes smtp-server cannot take (a 554 or multi-line greeting, a broken STARTTLS,
 * silence). Every server records each command line it receives, so tests can prove what the probe sent.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

const CERTS = join(process.cwd(), 'test', 'certs', 'smtp');
export const certFile = (name: string) => join(CERTS, name);
export const pem = (name: string) => readFileSync(certFile(name), 'utf8');
export const keyPair = (name: string) => ({ key: pem(`${name}.key`), cert: pem(`${name}.pem`) });

export interface RunningServer {
  host: string;
  port: number;
  /** Every command line received, in order, from every connection (AUTH arguments included verbatim). */
  commands: string[];
  /** Connections accepted. */
  connections: number;
  /** When each connection was accepted (performance.now()), in order. */
  connectedAt: number[];
  /** Client connections open right now (raw servers; 0 for smtp-server). */
  openConnections(): number;
  close(): Promise<void>;
}

/** A real smtp-server; `commands` comes from its debug log of client lines. */
export async function startSmtpServer(host: string, port: number, options: SMTPServerOptions): Promise<RunningServer> {
  const running: RunningServer = { host, port, commands: [], connections: 0, connectedAt: [], openConnections: () => 0, close: async () => undefined };
  const record = (meta: { tnx?: string } | undefined, ...args: unknown[]) => {
    if (meta?.tnx === 'command' && args[0] === 'C:') running.commands.push(String(args[1]));
  };
  const logger = { debug: record, info: () => undefined, error: () => undefined, warn: () => undefined, trace: () => undefined, fatal: () => undefined, level: 'debug', child: () => logger };
  const server = new SMTPServer({
    logger: logger as unknown as SMTPServerOptions['logger'],
    disableReverseLookup: true,
    onConnect: (_session, cb) => {
      running.connections++;
      running.connectedAt.push(performance.now());
      cb();
    },
    onAuth: (_auth, _session, cb) => cb(new Error('no')),
    ...options,
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  running.port = (server.server.address() as net.AddressInfo).port;
  running.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return running;
}

export interface RawScript {
  /** Sent on connect (undefined: say nothing, ever). */
  greeting?: string[];
  /** The greeting of the n-th connection (1-based), instead of `greeting` (a 421 that clears on retry). */
  greetingFor?: (n: number) => string[] | undefined;
  /** Answer to each command (upper-cased verb) → reply lines; a function gets the line. */
  replies?: Record<string, string | ((line: string) => string)>;
  /** After `220` to STARTTLS: 'garbage' sends non-TLS bytes and closes; a key pair runs a real handshake. */
  starttls?: 'garbage' | { key: string; cert: string };
  /** Reply lines are written one byte at a time (the probe must reassemble them). */
  trickle?: boolean;
  /** Plaintext sent right after the 220 to STARTTLS, in the same write (a STARTTLS injection bug). */
  injectAfterStarttls?: string;
  /** Implicit TLS from the first byte. */
  implicitTls?: { key: string; cert: string };
}

/** A scripted SMTP server on node:net for odd shapes. */
export async function startRawServer(host: string, port: number, script: RawScript): Promise<RunningServer> {
  const running: RunningServer = { host, port, commands: [], connections: 0, connectedAt: [], openConnections: () => 0, close: async () => undefined };
  const sockets = new Set<net.Socket>();
  let open = 0;
  running.openConnections = () => open;
  const serve = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const write = (text: string) => {
      if (!script.trickle) return void socket.write(text);
      const bytes = Buffer.from(text);
      let i = 0;
      const step = () => {
        if (i < bytes.length && !socket.destroyed) {
          socket.write(bytes.subarray(i, ++i));
          setImmediate(step);
        }
      };
      step();
    };
    const greeting = script.greetingFor ? script.greetingFor(running.connections) : script.greeting;
    if (greeting) write(greeting.map((l) => `${l}\r\n`).join(''));
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        running.commands.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'QUIT') {
          write('221 bye\r\n');
          socket.end();
          return;
        }
        if (verb === 'STARTTLS' && script.starttls) {
          socket.write(`220 go ahead\r\n${script.injectAfterStarttls ?? ''}`);
          socket.removeListener('data', onData);
          if (script.starttls === 'garbage') {
            socket.end('this is not a TLS record, sorry\r\n');
            return;
          }
          const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: tls.createSecureContext(script.starttls) });
          secure.on('error', () => undefined);
          sockets.add(secure);
          buffer = '';
          secure.on('data', onDataTls(secure));
          return;
        }
        const reply = script.replies?.[verb];
        write(`${typeof reply === 'function' ? reply(line) : (reply ?? '500 unknown command')}\r\n`);
      }
    };
    const onDataTls = (secure: tls.TLSSocket) => {
      let tlsBuffer = '';
      return (chunk: Buffer) => {
        tlsBuffer += chunk.toString('latin1');
        let nl: number;
        while ((nl = tlsBuffer.indexOf('\n')) >= 0) {
          const line = tlsBuffer.slice(0, nl).replace(/\r$/, '');
          tlsBuffer = tlsBuffer.slice(nl + 1);
          running.commands.push(line);
          const verb = line.split(' ')[0]!.toUpperCase();
          if (verb === 'QUIT') {
            secure.end('221 bye\r\n');
            return;
          }
          const reply = script.replies?.[`${verb}+TLS`] ?? script.replies?.[verb];
          secure.write(`${typeof reply === 'function' ? reply(line) : (reply ?? '500 unknown command')}\r\n`);
        }
      };
    };
    socket.on('data', onData);
  };
  const server = script.implicitTls
    ? tls.createServer({ ...script.implicitTls }, (s) => {
        running.connections++;
        serveTls(s);
      })
    : net.createServer((s) => {
        running.connections++;
        serve(s);
      });
  // Implicit TLS: the same script over the TLS socket.
  const serveTls = (s: tls.TLSSocket) => serve(s as unknown as net.Socket);
  server.on('connection', (s: net.Socket) => {
    running.connectedAt.push(performance.now());
    open++;
    sockets.add(s);
    s.on('close', () => {
      open--;
      sockets.delete(s);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  running.port = (server.address() as net.AddressInfo).port;
  running.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return running;
}
