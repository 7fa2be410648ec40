import { credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { loadModelRouterProto, MODEL_ROUTER_SERVICE, type HealthClient, type HealthStatus, type ModelRouterCaller } from '@mcp/contracts';

/**
 * A readiness check of the model-router over the client's own channel: the standard
 * `grpc.health.v1.Health/Check`, for the ModelRouter service, else the server as a whole (`''`).
 * A server without the health service counts as up once the channel connects.
 */
export function modelRouterReadiness(caller: ModelRouterCaller, deadlineMs: number): () => Promise<void> {
  const { Health } = loadModelRouterProto();
  // Sharing the channel checks the connection the steps use, and opens no second one.
  const health = new Health('model-router', credentials.createInsecure(), { channelOverride: caller.raw.getChannel() }) as unknown as HealthClient;
  const check = (service: string) =>
    new Promise<HealthStatus>((resolve, reject) => {
      health.Check({ service }, { deadline: new Date(Date.now() + deadlineMs) }, (error, response) => (error || !response ? reject(error ?? new Error('empty health response')) : resolve(response.status)));
    });

  return async () => {
    let status: HealthStatus;
    try {
      status = await check(MODEL_ROUTER_SERVICE);
    } catch (error) {
      const code = (error as Partial<ServiceError>).code;
      if (code === GrpcStatus.NOT_FOUND) status = await check('');
      else if (code === GrpcStatus.UNIMPLEMENTED) return caller.waitForReady(deadlineMs);
      else throw new Error(code === GrpcStatus.UNAVAILABLE ? 'model-router unavailable' : `model-router health check failed: ${(error as Error).message}`);
    }
    if (status !== 'SERVING') throw new Error(`model-router is ${status}`);
  };
}
