import { describe, expect, it } from 'vitest';
import { addToInventory, classifyInventory, emptyInventory, formatCounts, loadRegistry, loadSemconvCatalog, mergeInventory } from '../src/index';
import type { InventoryMetricPoint, InventorySpan, TelemetryInventory } from '../src/index';

const registry = loadRegistry();
const catalog = loadSemconvCatalog();
const resource = { 'service.name': 'model-router', 'telemetry.sdk.language': 'nodejs' };

const span = (attributes: Record<string, unknown>, events: Array<Record<string, unknown>> = []): InventorySpan => ({
  serviceName: 'model-router',
  resource,
  attributes,
  events: events.map((e) => ({ attributes: e })),
});
const point = (name: string, unit: string, type = 'sum', isMonotonic: boolean | undefined = true, attributes: Record<string, unknown> = {}): InventoryMetricPoint => ({
  serviceName: 'model-router',
  resource,
  name,
  unit,
  type,
  isMonotonic,
  attributes,
});
const inventoryOf = (spans: InventorySpan[], metrics: InventoryMetricPoint[] = []): TelemetryInventory => addToInventory(emptyInventory(), { spans, metrics, logs: [] }, 'test');
const check = (inventory: TelemetryInventory) => classifyInventory(inventory, registry, catalog, { requireEveryEntryEmitted: false });

describe('classifyInventory', () => {
  it('counts stable, incubating, moved and declared names and passes them', () => {
    const result = check(
      inventoryOf(
        [span({ 'rpc.system.name': 'grpc', 'rpc.method': 'mcp.model_router.v1.ModelRouter/Route', 'process.runtime.name': 'nodejs', 'gen_ai.provider.name': 'mcp_model_router', 'mcp.model_type': 'stub-small' })],
        [point('mcp_model_inference_total', '{request}', 'sum', true, { 'mcp.model_type': 'stub-small' }), point('gen_ai.server.request.duration', 's', 'histogram')],
      ),
    );
    expect(result.violations).toEqual([]);
    expect(result.counts).toEqual({ stable: 4, incubating: 1, moved: 2, 'custom declared': 2, undeclared: 0, deprecated: 0, 'log field': 0 });
    expect(formatCounts(result.counts)).toBe('stable 4 / incubating 1 / moved 2 / custom declared 2 / undeclared 0 / deprecated 0 / log field 0');
  });

  it.each([
    { name: 'a key deprecated by replacement', attributes: { 'rpc.system': 'grpc' }, expected: /^deprecated: rpc\.system \(Replaced by `rpc\.system\.name`\.\)/ },
    { name: 'a key replaced by one that then moved', attributes: { 'gen_ai.system': 'openai' }, expected: /^deprecated: gen_ai\.system \(Replaced by `gen_ai\.provider\.name`/ },
    { name: 'an undeclared key', attributes: { 'mcp.secret_sauce': 'x' }, expected: /^undeclared: attribute mcp\.secret_sauce on the span of model-router/ },
    { name: 'a declared key of another type', attributes: { 'mcp.prompt_length': '42' }, expected: /^type: mcp\.prompt_length is declared int but arrived as string/ },
    { name: 'an int key with a fraction', attributes: { 'mcp.step_index': 1.5 }, expected: /^type: mcp\.step_index is declared int but arrived as double/ },
    { name: 'an enum value outside its members', attributes: { 'mcp.operation': 'dance' }, expected: /^value: mcp\.operation="dance" is not one of model_inference, workflow_execution, workflow_step/ },
  ])('fails on $name', ({ attributes, expected }) => {
    const result = check(inventoryOf([span(attributes)]));
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]).toMatch(expected);
  });

  it('counts the fields of log lines apart, unchecked, unless the key is also an attribute elsewhere', () => {
    const log = (attributes: Record<string, unknown>) => ({ serviceName: 'frontend', resource, attributes });
    const inventory = addToInventory(emptyInventory(), { spans: [span({ 'mcp.shared': 1 })], metrics: [], logs: [log({ prompt_length: 12, rpc: 'Route', 'mcp.shared': 1, 'rpc.system': 'grpc' })] });
    const result = check(inventory);
    expect(result.names.filter((n) => n.class === 'log field').map((n) => n.name)).toEqual(['prompt_length', 'rpc']);
    // A conventions key or one of our keys on a log line is still checked.
    expect(result.violations.map((v) => v.split(' (')[0]?.split(' on the ')[0])).toEqual(['undeclared: attribute mcp.shared', 'deprecated: rpc.system']);
  });

  it('finds keys on span events and resources too', () => {
    const result = check(addToInventory(emptyInventory(), { spans: [span({}, [{ 'exception.type': 'Error', 'mcp.nope': 1 }])], metrics: [], logs: [{ serviceName: 'web', resource: { 'browser.nope': 'x' }, attributes: {} }] }));
    expect(result.violations.map((v) => v.split(' on the ')[0])).toEqual(['undeclared: attribute browser.nope', 'undeclared: attribute mcp.nope']);
  });

  it.each([
    { name: 'a unit other than the registry says', metric: point('mcp_model_inference_total', '1'), expected: /^unit: metric mcp_model_inference_total is declared in "\{request\}" but arrived in "1"/ },
    { name: 'another instrument', metric: point('mcp_active_inferences', '{request}', 'sum', true), expected: /^type: metric mcp_active_inferences is declared a updowncounter but arrived as a counter/ },
    { name: 'a deprecated metric', metric: point('rpc.server.duration', 'ms', 'histogram'), expected: /^deprecated: metric rpc\.server\.duration \(Replaced by `rpc\.server\.call\.duration` with unit `s`\.\)/ },
    { name: 'an undeclared metric', metric: point('mcp_mystery_total', '1'), expected: /^undeclared: metric mcp_mystery_total/ },
  ])('fails on $name', ({ metric, expected }) => {
    const result = check(inventoryOf([], [metric]));
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]).toMatch(expected);
  });

  it('fails on registry entries nothing emitted only when asked to (a whole run)', () => {
    const inventory = inventoryOf([span({ 'mcp.model_type': 'stub-small' })]);
    expect(check(inventory).violations).toEqual([]);
    const whole = classifyInventory(inventory, registry, catalog, { requireEveryEntryEmitted: true });
    expect(whole.violations).toContain('unused: registry attribute mcp.workflow_id was not emitted by anything in this run');
    expect(whole.violations).toContain('unused: registry metric mcp_model_inference_total was not emitted by anything in this run');
    expect(whole.violations).not.toContain('unused: registry attribute mcp.model_type was not emitted by anything in this run');
  });

  it('merges inventories of several test files', () => {
    const merged = mergeInventory(inventoryOf([span({ 'mcp.model_type': 'a' })]), addToInventory(emptyInventory(), { spans: [span({ 'mcp.model_type': 'b', 'mcp.step_index': 2 })], metrics: [], logs: [] }, 'other'));
    expect(merged.attributes['mcp.model_type']?.values).toEqual(['a', 'b']);
    expect(merged.sources).toEqual(['test', 'other']);
    expect(Object.keys(merged.attributes).sort()).toEqual(['mcp.model_type', 'mcp.step_index', 'service.name', 'telemetry.sdk.language']);
  });
});
