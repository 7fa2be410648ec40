import type { IncomingMessage, Server } from 'node:http';

/**
 * The first nesting level past `maxDepth` in a JSON text (`[[1]]` nests 2 deep), as a message; or
 * undefined when the text nests no deeper. A linear scan of the text, before anything parses it:
 * JSON.parse copes with any depth, but JSON.stringify, structuredClone, loggers and validators
 * recurse and overflow the stack on a value nested tens of thousands deep, which a 256 KiB body holds.
 * Brackets inside strings do not count; the text need not be valid JSON (the parser says so after).
 */
export function jsonNestingError(text: string, maxDepth: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c /* \ */) i += 1;
      else if (code === 0x22 /* " */) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      depth += 1;
      if (depth > maxDepth) return `JSON body nests deeper than ${maxDepth} levels`;
    } else if (code === 0x5d /* ] */ || code === 0x7d /* } */) {
      depth -= 1;
    }
  }
  return undefined;
}

/** A request body read within its size limit, or why it was refused (status and message for the client). */
export type RequestBodyResult = { ok: true; bytes: Buffer } | { ok: false; status: 400 | 413 | 415; message: string };

/** A JSON request body read within its limits, or why it was refused (status and message for the client). */
export type JsonBodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; message: string };

/** Whether the request carries a body at all (RFC 9112: Transfer-Encoding, or a non-zero Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

const JSON_MEDIA_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Reads a request body's bytes, refusing as early as it can: a Content-Encoding is 415 before a byte
 * is read (nothing here inflates, so a small compressed body cannot become a large one); a
 * Content-Length over `limitBytes` is 413 before a byte is read; a body growing past `limitBytes` is
 * 413 as soon as it does (what arrived is dropped, the rest is left unread: body-parser's readers
 * read it to its end before answering). After a refusal, {@link boundUnreadBodies} bounds what the
 * server reads of the rest. The caller checks the media type first.
 */
export function readRequestBody(req: IncomingMessage, limitBytes: number): Promise<RequestBodyResult> {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return Promise.resolve({ ok: false, status: 415, message: `Content-Encoding ${encoding.slice(0, 32)} is not accepted: send the body uncompressed` });
  }
  const tooLarge = { ok: false, status: 413, message: `request body too large: at most ${limitBytes} bytes` } as const;
  if (Number(req.headers['content-length'] ?? 0) > limitBytes) return Promise.resolve(tooLarge);

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: RequestBodyResult): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        req.pause();
        finish(tooLarge);
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => finish({ ok: true, bytes: Buffer.concat(chunks, size) });
    const onError = (): void => finish({ ok: false, status: 400, message: 'request aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onError);
  });
}

/**
 * Reads a JSON request body as {@link readRequestBody} does, after refusing a media type other than
 * `application/json` (UTF-8) with 415; then nesting deeper than `maxDepth`, malformed JSON and a
 * top-level value that is not an object or an array are 400.
 * Call it only for a request that {@link hasBody}.
 */
export async function readJsonBody(req: IncomingMessage, limits: { limitBytes: number; maxDepth: number }): Promise<JsonBodyResult> {
  const contentType = req.headers['content-type'] ?? '';
  if (!JSON_MEDIA_TYPE.test(contentType.trim())) return { ok: false, status: 415, message: 'Content-Type must be application/json (UTF-8)' };
  const body = await readRequestBody(req, limits.limitBytes);
  if (!body.ok) return body;
  const text = body.bytes.toString('utf8');
  const nesting = jsonNestingError(text, limits.maxDepth);
  if (nesting) return { ok: false, status: 400, message: nesting };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, message: 'malformed JSON body' };
  }
  // As body-parser's strict mode: a bare `null`, number or string is no request (and a falsy one reads as "no body").
  if (typeof value !== 'object' || value === null) return { ok: false, status: 400, message: 'JSON body must be an object or an array' };
  return { ok: true, value };
}

/** What is read of a body left unread once the answer is out (Go's net/http reads 256 KiB too). */
export const UNREAD_BODY_DRAIN_BYTES = 256 * 1024;
/** How often the bytes read since the answer are looked at. */
const DRAIN_CHECK_MS = 10;

/**
 * Bounds what `server` reads of a request body its handler left unread (a refusal before or while
 * reading: 401, 413, 415, an unknown route). Node reads such a rest to its end, however long, to
 * keep the connection alive; here, once the answer is out, the connection is closed as soon as more
 * than `maxBytes` arrived after it (looked at every 10 ms, so a fast sender gets in a little more).
 * Reading some of the rest rather than closing at once lets a client still sending see the answer:
 * closing a socket with unread input resets the connection, and the client may lose the answer.
 */
export function boundUnreadBodies(server: Server, maxBytes = UNREAD_BODY_DRAIN_BYTES): void {
  server.on('request', (req: IncomingMessage, res) => {
    res.once('finish', () => {
      if (req.complete) return;
      // A reader that stopped at its limit paused the request, and Node does not drain a paused one.
      req.resume();
      const { socket } = req;
      const readAtAnswer = socket.bytesRead;
      const check = setInterval(() => {
        // The count first: on loopback a whole over-limit body can arrive between two looks, and
        // the connection that carried it is closed all the same (nothing unread is left to reset it).
        if (socket.destroyed) clearInterval(check);
        else if (socket.bytesRead - readAtAnswer > maxBytes) {
          clearInterval(check);
          socket.destroy();
        } else if (req.complete) clearInterval(check);
      }, DRAIN_CHECK_MS);
      check.unref();
    });
  });
}
