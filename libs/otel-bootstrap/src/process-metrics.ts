import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BOOTSTRAP_VERSION } from './distro';

/**
 * What every service reports about its own process, as the semantic conventions 1.45 name it:
 * `process.cpu.time` (s, by `cpu.mode` user/system) and `process.memory.usage` (By, resident set).
 * Read from `process.cpuUsage()` / `process.memoryUsage.rss()` at each collection only: nothing runs
 * between exports. (`@opentelemetry/instrumentation-host-metrics` would bring `systeminformation`
 * and its system-wide metrics for the same two numbers.)
 */
export function observeProcessMetrics(meterProvider: MeterProvider): void {
  const meter = meterProvider.getMeter('@mcp/otel-bootstrap', BOOTSTRAP_VERSION);
  meter
    .createObservableCounter('process.cpu.time', { description: 'Total CPU seconds broken down by different CPU modes.', unit: 's' })
    .addCallback((result) => {
      const { user, system } = process.cpuUsage();
      result.observe(user / 1e6, { 'cpu.mode': 'user' });
      result.observe(system / 1e6, { 'cpu.mode': 'system' });
    });
  meter
    .createObservableUpDownCounter('process.memory.usage', { description: 'The amount of physical memory in use.', unit: 'By' })
    .addCallback((result) => result.observe(process.memoryUsage.rss()));
}
