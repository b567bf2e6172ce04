import { Readable } from 'node:stream';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Route config flag (`@RouteConfig({ rawBody: true })`): keep the body's exact bytes on the request. */
export const RAW_BODY_CONFIG = { rawBody: true } as const;

/** Requests of routes flagged with RAW_BODY_CONFIG carry their body's bytes here. */
export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

const MAX_RAW_BYTES = 1024 * 1024;

/**
 * Signed requests are verified over the exact bytes sent, not a re-serialisation of the parsed JSON.
 * For flagged routes only, a preParsing hook reads the body (up to the 1 MiB body limit), keeps the
 * bytes on the request and hands the same bytes on to the app's JSON parser and its input guard,
 * which stay as they are for this route and every other.
 */
@Injectable()
export class RawBodyCapture implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit() {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('preParsing', async (request: RawBodyRequest, _reply, payload) => {
      if (!(request.routeOptions.config as { rawBody?: boolean } | undefined)?.rawBody) return payload;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        size += buf.length;
        if (size > MAX_RAW_BYTES) break; // Fastify's body limit answers 413 on what follows
        chunks.push(buf);
      }
      request.rawBody = Buffer.concat(chunks);
      const replay = Readable.from([request.rawBody]) as Readable & { receivedEncodedLength?: number };
      replay.receivedEncodedLength = request.rawBody.length;
      return replay;
    });
  }
}
