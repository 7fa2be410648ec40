import type * as http from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { encodeEmptyResponse, encodeErrorStatus } from '@mcp/contracts';
import type { ReceiverParts } from './receiver';
import { RpcCode, rpcCodeForHttpStatus } from './rpc-code';
import type { OtlpEncoding, OtlpSignal } from './types';

const gunzipAsync = promisify(gunzip);

const signalPaths: Readonly<Record<string, OtlpSignal>> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};

/** The encodings of OTLP/HTTP bodies. */
type HttpEncoding = Exclude<OtlpEncoding, 'grpc'>;

function mediaType(header: string | undefined): HttpEncoding | undefined {
  const type = (header ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

/** Reads the whole body; `undefined` when over `maxBytes`, `'aborted'` when the client went away. */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer | undefined | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining so the answer can be read, but stop buffering.
      if (size > maxBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.once('error', () => resolve('aborted'));
    req.once('close', () => {
      if (!req.complete) resolve('aborted');
    });
  });
}

/**
 * The OTLP/HTTP side: `POST /v1/{traces,metrics,logs}` with a protobuf or JSON body, gzipped or
 * not, answered (after any injected delay) with an empty export response or a `google.rpc.Status`
 * error in the request's encoding.
 */
export function createOtlpHttpHandler(
  { store, faults, waits }: ReceiverParts,
  maxBodyBytes: number,
): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  const answer = (res: http.ServerResponse, status: number, encoding: HttpEncoding, body: Buffer, headers: Record<string, string> = {}): void => {
    faults.later(() => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, {
        ...headers,
        'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
        'Content-Length': String(body.length),
      });
      res.end(body);
    });
  };
  const fail = (res: http.ServerResponse, status: number, encoding: HttpEncoding, code: RpcCode, message: string): void =>
    answer(res, status, encoding, encodeErrorStatus(encoding, code, message));

  return async (req, res) => {
    store.stats.total++;
    const pathname = new URL(req.url ?? '/', 'http://receiver').pathname;
    const signal = signalPaths[pathname];
    if (!signal) {
      store.stats.notFound++;
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no OTLP endpoint at ${pathname}; use /v1/traces, /v1/metrics or /v1/logs\n`);
      return;
    }
    const stats = store.stats[signal];
    if (req.method !== 'POST') {
      stats.invalid++;
      res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' }).end(`use POST for ${pathname}\n`);
      return;
    }
    const encoding = mediaType(req.headers['content-type']);
    if (!encoding) {
      stats.invalid++;
      const got = req.headers['content-type'] ?? '(none)';
      res.writeHead(415, { 'Content-Type': 'text/plain' }).end(`unsupported Content-Type ${got}; use application/x-protobuf or application/json\n`);
      return;
    }
    stats[encoding]++;
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    const gzipped = contentEncoding === 'gzip' || contentEncoding === 'x-gzip';
    if (gzipped) stats.gzip++;
    else if (contentEncoding !== 'identity' && contentEncoding !== '') {
      stats.invalid++;
      fail(res, 415, encoding, RpcCode.INVALID_ARGUMENT, `unsupported Content-Encoding ${contentEncoding}; use gzip or none`);
      return;
    }

    const raw = await readBody(req, maxBodyBytes);
    if (raw === undefined) {
      stats.invalid++;
      fail(res, 413, encoding, RpcCode.RESOURCE_EXHAUSTED, `body larger than ${maxBodyBytes} bytes`);
      return;
    }
    if (raw === 'aborted') return;

    const fault = faults.take(signal);
    if (fault) {
      stats.faulted++;
      if (fault.kind === 'hang') return; // close() destroys the socket.
      answer(res, fault.status, encoding, encodeErrorStatus(encoding, rpcCodeForHttpStatus(fault.status), fault.message), fault.headers);
      return;
    }

    let body: Buffer;
    try {
      body = gzipped ? await gunzipAsync(raw, { maxOutputLength: maxBodyBytes }) : raw;
    } catch (error) {
      stats.invalid++;
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        fail(res, 413, encoding, RpcCode.RESOURCE_EXHAUSTED, `inflated body larger than ${maxBodyBytes} bytes`);
      } else {
        fail(res, 400, encoding, RpcCode.INVALID_ARGUMENT, `invalid gzip body: ${String(error)}`);
      }
      return;
    }
    const result = store.ingest(signal, encoding, body);
    if (!result.ok) {
      fail(res, 400, encoding, RpcCode.INVALID_ARGUMENT, result.reason);
      return;
    }
    answer(res, 200, encoding, encodeEmptyResponse(signal, encoding));
    waits.poll();
  };
}
