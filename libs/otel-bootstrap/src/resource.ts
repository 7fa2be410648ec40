import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import type { ResolvedConfig } from './config';
import { BOOTSTRAP_VERSION, DISTRO_NAME } from './distro';
import { load } from './packages';

/**
 * The process detector of the SDK records `process.command_args`, where a credential passed on the
 * command line would end up on every span; this one keeps what identifies the runtime and no argv.
 */
const safeProcessDetector: ResourceDetector = {
  detect: () => ({
    attributes: {
      'process.pid': process.pid,
      'process.executable.name': 'node',
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'process.runtime.description': 'Node.js',
    },
  }),
};

export function buildResource(config: ResolvedConfig): Resource {
  const resources = load.resources();
  const detectors: ResourceDetector[] = [];
  for (const name of config.resourceDetectors) {
    switch (name) {
      case 'host':
        detectors.push(resources.hostDetector);
        break;
      case 'os':
        detectors.push(resources.osDetector);
        break;
      case 'process':
        detectors.push(safeProcessDetector);
        break;
      case 'serviceinstance':
        detectors.push(resources.serviceInstanceIdDetector);
        break;
      case 'container':
        detectors.push(load.containerDetector().containerDetector);
        break;
      case 'env':
        // OTEL_RESOURCE_ATTRIBUTES is parsed by resolveConfig (with $(VAR) expansion) and merged below.
        break;
    }
  }

  let resource = resources.defaultResource().merge(resources.detectResources({ detectors }));
  // Merged last, so an explicit service.instance.id (e.g. the pod name) wins over the detector's random one.
  const attributes: Record<string, string> = config.resourceDetectors.includes('env') ? { ...config.resourceAttributes } : {};
  // Which distribution made this telemetry (stable resource keys); OTEL_RESOURCE_ATTRIBUTES cannot change it.
  attributes['telemetry.distro.name'] = DISTRO_NAME;
  attributes['telemetry.distro.version'] = BOOTSTRAP_VERSION;
  if (config.serviceName !== undefined) attributes['service.name'] = config.serviceName;
  if (config.serviceVersion !== undefined) attributes['service.version'] = config.serviceVersion;
  resource = resource.merge(resources.resourceFromAttributes(attributes));
  return resource;
}
