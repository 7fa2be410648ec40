import { Writer } from 'protobufjs';
import { loadOtlpProto } from './otlp-proto';
import { toObjectOptions } from './otlp-wire';
import type { OtlpEncoding, OtlpSignal } from './otlp-wire';

// OTLP/JSON encodes these bytes fields as hex instead of protobuf-JSON's base64.
const idKeys = new Set(['traceId', 'spanId', 'parentSpanId']);
const hexPattern = /^(?:[0-9a-fA-F]{2})*$/;

/** Replaces hex-encoded id strings with bytes, in place, anywhere in a parsed OTLP/JSON document. */
function hexIdsToBytes(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) hexIdsToBytes(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    // Ids that are not hex (e.g. base64 from a non-conforming sender) are left for protobufjs to decode.
    if (idKeys.has(key) && typeof value === 'string' && hexPattern.test(value)) {
      record[key] = Buffer.from(value, 'hex');
    } else if (typeof value === 'object') {
      hexIdsToBytes(value);
    }
  }
}

/**
 * Decodes an uncompressed OTLP export request body (OTLP/HTTP protobuf or JSON, or an OTLP/gRPC
 * message, which is protobuf) into the plain shape of `wire.ts`.
 * Throws (with a message fit for a 400 answer) when the body is not a valid request.
 */
export function decodeExportRequest(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer): unknown {
  const type = loadOtlpProto().request[signal];
  if (encoding !== 'json') {
    return type.toObject(type.decode(body), toObjectOptions);
  }
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError('OTLP/JSON body must be a JSON object');
  }
  hexIdsToBytes(parsed);
  // fromObject accepts enum names or numbers and 64-bit integers as strings or numbers, as OTLP/JSON requires.
  return type.toObject(type.fromObject(parsed as Record<string, unknown>), toObjectOptions);
}

/** Encodes a request in the shape `decodeExportRequest` returns (e.g. after rewriting it) as OTLP protobuf. */
export function encodeExportRequest(signal: OtlpSignal, request: unknown): Buffer {
  const type = loadOtlpProto().request[signal];
  return Buffer.from(type.encode(type.fromObject(request as Record<string, unknown>)).finish());
}

/** Encodes an empty (full success) Export*ServiceResponse in the request's encoding (protobuf for gRPC). */
export function encodeEmptyResponse(signal: OtlpSignal, encoding: OtlpEncoding): Buffer {
  if (encoding === 'json') return Buffer.from('{}');
  const type = loadOtlpProto().response[signal];
  return Buffer.from(type.encode(type.create({})).finish());
}

/**
 * Encodes a `google.rpc.Status` { code, message } error body, as OTLP/HTTP recommends for
 * failures; written with a bare Writer because it is two scalar fields (no .proto needed).
 */
export function encodeErrorStatus(encoding: OtlpEncoding, code: number, message: string): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  // Field 1 (varint) = code, field 2 (length-delimited) = message.
  return Buffer.from(Writer.create().uint32(0x08).int32(code).uint32(0x12).string(message).finish());
}
