import { afterEach, beforeEach, expect, it } from 'vitest';
import { scanTelemetry, startOtlpReceiver } from '../src';
import type { OtlpReceiver } from '../src';
import { SPAN_1, TRACE_A, logsRequest, metricsRequest, post, span, str, toProtobuf, traceRequest } from './support/otlp-payloads';

const CANARY = 'pii-canary-4f1d@example.com';

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

it('finds a needle in span attributes, events, nested values, resources, metric attributes and log bodies', async () => {
  const request = traceRequest('users', [
    span({
      traceId: TRACE_A,
      spanId: SPAN_1,
      name: 'POST /signup',
      attributes: [
        str('user.email', CANARY),
        { key: 'form', value: { kvlistValue: { values: [{ key: 'fields', value: { arrayValue: { values: [{ stringValue: `x ${CANARY} y` }] } } }] } } },
        { key: 'payload', value: { bytesValue: Buffer.from(`{"email":"${CANARY}"}`).toString('base64') } },
      ],
      events: [{ name: 'exception', attributes: [str('exception.message', `no user ${CANARY}`)] }],
    }),
  ]);
  await post(receiver.url, 'traces', request);
  await post(receiver.url, 'metrics', metricsRequest('users', [{ name: 'signups', gauge: { dataPoints: [{ attributes: [str('email', CANARY)], asInt: '1' }] } }]), {
    encoding: 'json',
  });
  await post(receiver.url, 'logs', logsRequest('users', [{ body: { stringValue: `welcome ${CANARY}` } }, { body: { stringValue: 'clean' } }]));

  const hits = receiver.scanFor(CANARY);
  expect(hits.map((h) => `${h.signal} ${h.path}`)).toEqual([
    'traces attributes["user.email"]',
    'traces attributes["form"]["fields"][0]',
    'traces attributes["payload"]',
    'traces events[0].attributes["exception.message"]',
    'metrics attributes["email"]',
    'logs body',
  ]);
  expect(hits[0]).toMatchObject({ value: CANARY, label: 'span POST /signup (users)', record: { spanId: SPAN_1 } });
  expect(hits[5]).toMatchObject({ value: `welcome ${CANARY}`, label: `log welcome ${CANARY} (users)` });

  expect(receiver.scanFor(/pii-canary-[0-9a-f]{4}/)).toHaveLength(6);
  expect(receiver.scanFor('not-there')).toEqual([]);
});

it('reports resource hits and attribute keys once per service', async () => {
  const request = {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', 'users'), str('host.owner', CANARY)] },
        scopeSpans: [
          {
            spans: [
              span({ traceId: TRACE_A, spanId: SPAN_1, name: 'a', attributes: [str(`key-${CANARY}`, 'v')] }),
              span({ traceId: TRACE_A, spanId: SPAN_1, name: 'b' }),
            ],
          },
        ],
      },
    ],
  };
  await post(receiver.url, 'traces', request, { encoding: 'json' });
  await post(receiver.url, 'traces', request);
  const hits = receiver.scanFor(CANARY);
  expect(hits.filter((h) => h.path === 'resource["host.owner"]')).toEqual([
    expect.objectContaining({ signal: 'traces', value: CANARY, label: 'service users' }),
  ]);
  expect(hits.filter((h) => h.path.startsWith('attributes key'))).toHaveLength(2);
});

it('falls back to the raw request body for fields it does not flatten', async () => {
  // The schema URL and scope attributes are not part of the flattened span.
  const request = {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', 'users')] },
        scopeSpans: [
          {
            scope: { name: 'lib', attributes: [str('owner', CANARY)] },
            schemaUrl: `https://example.com/${CANARY}`,
            spans: [span({ traceId: TRACE_A, spanId: SPAN_1, name: 'clean' })],
          },
        ],
      },
    ],
  };
  await post(receiver.url, 'traces', toProtobuf('traces', request));
  const hits = receiver.scanFor(CANARY);
  expect(hits).toHaveLength(1);
  expect(hits[0]).toMatchObject({ signal: 'traces', path: 'raw request body', label: 'traces request', record: undefined });
  expect(hits[0]?.value).toContain(CANARY);
});

it('scanTelemetry works on any lists of records', async () => {
  await post(receiver.url, 'logs', logsRequest('users', [{ body: { stringValue: 'secret-token' }, attributes: [str('k', 'secret-token')] }]));
  expect(scanTelemetry({ logs: receiver.logs() }, 'secret-token').map((h) => h.path)).toEqual(['body', 'attributes["k"]']);
  expect(scanTelemetry({}, 'x')).toEqual([]);
});
