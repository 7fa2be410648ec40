import * as grpc from '@grpc/grpc-js';
import type { HealthStatus } from '@mcp/contracts';

type ServingStatus = Extract<HealthStatus, 'SERVING' | 'NOT_SERVING'>;

interface HealthCheckRequest {
  service: string;
}
interface HealthCheckResponse {
  status: HealthStatus;
}

/**
 * The standard grpc.health.v1.Health service. `''` is the whole server; each served gRPC service has
 * its own entry. Check answers NOT_FOUND for a service it does not know (as the protocol asks);
 * Watch streams the current status and every change, SERVICE_UNKNOWN for an unknown service.
 */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<{ service: string; call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse> }>();

  constructor(services: readonly string[]) {
    for (const service of ['', ...services]) this.statuses.set(service, 'SERVING');
  }

  status(service = ''): HealthStatus {
    return this.statuses.get(service) ?? 'SERVICE_UNKNOWN';
  }

  /** Every entry NOT_SERVING (shutdown has begun); watchers are told. */
  markNotServing(): void {
    for (const service of this.statuses.keys()) this.statuses.set(service, 'NOT_SERVING');
    for (const { service, call } of this.watchers) call.write({ status: this.status(service) });
  }

  /** Ends every Watch stream, so that a graceful server shutdown is not held by them. */
  endWatches(): void {
    for (const watcher of this.watchers) watcher.call.end();
    this.watchers.clear();
  }

  /** The handlers for `server.addService(Health.service, ...)`. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      Check: (call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: grpc.sendUnaryData<HealthCheckResponse>) => {
        const service = call.request.service;
        if (!this.statuses.has(service)) {
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service "${service.slice(0, 128)}"` });
          return;
        }
        callback(null, { status: this.status(service) });
      },
      Watch: (call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        const watcher = { service: call.request.service, call };
        this.watchers.add(watcher);
        call.on('cancelled', () => this.watchers.delete(watcher));
        call.write({ status: this.status(watcher.service) });
      },
    };
  }
}
