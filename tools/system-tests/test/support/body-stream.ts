import * as net from 'node:net';

/** What a server did with a request body sent chunk by chunk. */
export interface StreamedBodyOutcome {
  /** Status of the answer, or undefined when the connection ended without one. */
  status: number | undefined;
  /** The answer's body, as received. */
  body: string;
  /** Body bytes the client had handed to the socket when the answer began to arrive (undefined: no answer). */
  bytesWrittenAtAnswer: number | undefined;
  /** Body bytes the client had handed to the socket when it stopped: the server closed the connection, or all were sent. */
  bytesWritten: number;
  /** True when the server closed (or reset) the connection before the whole body was sent. */
  closedByServer: boolean;
}

/**
 * Sends `POST path` to `url` over a raw socket with `headers` and a body of `totalBytes` bytes (spaces),
 * with `Content-Length: totalBytes` when `declareLength`, else chunked. Chunks are written one at a
 * time, each after the previous one left for the kernel, reading the answer in between like a real
 * client; writing goes on after the answer until the server closes the connection or the body is all
 * sent. So the byte counts say how much the server let in before answering and before closing (each
 * an upper bound: the kernel's socket buffers hold some of it).
 */
export function streamBody(
  url: string,
  path: string,
  options: { headers: Record<string, string>; totalBytes: number; declareLength?: boolean; chunkBytes?: number; timeoutMs?: number },
): Promise<StreamedBodyOutcome> {
  const { hostname, port } = new URL(url);
  const chunk = Buffer.alloc(options.chunkBytes ?? 64 * 1024, ' ');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let written = 0;
    let writtenAtAnswer: number | undefined;
    let received = '';
    let done = false;
    const answer = (): { status: number | undefined; body: string; complete: boolean } => {
      const split = received.indexOf('\r\n\r\n');
      if (split < 0) return { status: undefined, body: '', complete: false };
      const head = received.slice(0, split);
      const body = received.slice(split + 4);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
      return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body, complete: length !== undefined && Buffer.byteLength(body, 'latin1') >= Number(length) };
    };
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const { status, body } = answer();
      resolve({ status, body, bytesWrittenAtAnswer: writtenAtAnswer, bytesWritten: written, closedByServer });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 20_000);
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      writtenAtAnswer ??= written;
      received += data;
      if (written >= options.totalBytes && answer().complete) finish(false);
    });
    socket.on('error', () => finish(written < options.totalBytes));
    socket.on('close', () => finish(written < options.totalBytes));
    const lines = [`POST ${path} HTTP/1.1`, `host: ${hostname}:${port}`, ...Object.entries(options.headers).map(([k, v]) => `${k}: ${v}`)];
    lines.push(options.declareLength ? `content-length: ${options.totalBytes}` : 'transfer-encoding: chunked');
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const pump = (): void => {
      if (done || socket.destroyed) return;
      if (written >= options.totalBytes) {
        if (answer().complete) finish(false);
        return;
      }
      const piece = chunk.subarray(0, Math.min(chunk.length, options.totalBytes - written));
      written += piece.length;
      const framed = options.declareLength ? piece : Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from(written >= options.totalBytes ? '\r\n0\r\n\r\n' : '\r\n')]);
      socket.write(framed, (error) => {
        if (!error) setImmediate(pump);
      });
    };
    socket.once('connect', pump);
  });
}
