import { Writable } from 'node:stream';

/** A pino destination that keeps every line, for specs that check what is (not) logged. */
export function captureLogs(): { sink: Writable; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { sink, lines };
}
