import { createHash } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { MessageMappingProperties } from '@nestjs/websockets';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import Redis, { Command } from 'ioredis';
import type { Logger } from 'pino';
import type { Server, ServerOptions, Socket } from 'socket.io';

export interface SocketAdapterOptions {
  redisUrl: string | null;
  /** What names the database; instances of one deployment share streams named after its hash. */
  database: string;
  corsOrigins: string | string[] | null;
  logger: Logger;
}

/**
 * The adapter's publishing client. The adapter drops some of its command promises (the PUBLISH of a
 * fetchSockets request, the SET that keeps a disconnected socket's session): one that fails, when
 * Redis is away or a socket leaves while the server shuts down, would be an unhandled rejection,
 * which ends a Node process. Each command's promise is marked handled here; a caller that awaits it
 * still sees the error.
 */
class AdapterRedis extends Redis {
  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    const result = super.sendCommand(command, stream);
    if (result instanceof Promise) result.catch(() => undefined);
    return result;
  }
}

/** Largest client packet: a 2,000-character message with its envelope fits many times over. */
export const MAX_PACKET_BYTES = 64 * 1024;

/**
 * socket.io on the HTTP server's port, with the limits and the scale-out the chat needs:
 * - `maxHttpBufferSize` 64 KiB (a bigger packet closes the connection);
 * - connection state recovery (2 minutes), with the middlewares run again on recovery, so a member
 *   banned or logged out while disconnected cannot slip back in;
 * - with REDIS_URL, the Redis streams adapter (rooms, presence and disconnections shared by every
 *   instance; it survives a Redis restart without losing packets); without it, one instance in memory.
 */
export class HearthIoAdapter extends IoAdapter {
  private redis: Redis | null = null;

  constructor(
    app: INestApplicationContext,
    private readonly options: SocketAdapterOptions,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    const hash = createHash('sha256').update(this.options.database).digest('hex').slice(0, 24);
    const cors = this.options.corsOrigins ? { origin: this.options.corsOrigins === '*' ? true : this.options.corsOrigins, credentials: false } : undefined;
    let adapter: ServerOptions['adapter'] | undefined;
    if (this.options.redisUrl) {
      this.redis = new AdapterRedis(this.options.redisUrl, { maxRetriesPerRequest: null });
      this.redis.on('error', (err) => this.options.logger.warn({ err: err.message }, 'realtime: redis error'));
      adapter = createAdapter(this.redis, {
        streamName: `hearth:sio:${hash}`,
        channelPrefix: `hearth:sio:${hash}`,
        sessionKeyPrefix: `hearth:sio:${hash}:session:`,
        onlyPlaintext: true,
        blockTimeInMs: 1000,
      }) as unknown as ServerOptions['adapter'];
    }
    return super.createIOServer(port, {
      ...options,
      serveClient: false,
      maxHttpBufferSize: MAX_PACKET_BYTES,
      connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: false },
      ...(cors ? { cors } : {}),
      ...(adapter ? { adapter } : {}),
    });
  }

  /**
   * Plain listeners instead of Nest's per-socket rxjs pipelines (about 55 KB of heap per socket for
   * our nine events, measured by bench:chat): each event calls its handler and answers the ack with
   * what the handler resolved to. Our handlers never throw (they answer errors as acks) and never
   * return Observables.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[]): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (response: unknown) => void) : undefined;
        const data = args.length <= 1 ? args[0] : args;
        void Promise.resolve()
          .then(() => callback(data, ack))
          .then(
            (response: unknown) => {
              if (response !== undefined && response !== null && ack && !isAckHandledManually) ack(response);
            },
            (err: unknown) => this.options.logger.error({ err, event: message }, 'realtime: handler failed'),
          );
      });
    }
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    const redis = this.redis;
    this.redis = null;
    if (redis) await redis.quit().catch(() => redis.disconnect());
  }
}
