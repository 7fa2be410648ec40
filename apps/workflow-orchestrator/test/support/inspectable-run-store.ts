import type { WorkflowRun, WorkflowStepRecord } from '@mcp/contracts';
import { MemoryRunStore } from '../../src/services/memory-run-store';
import type { CreateResult, IdempotencyClaim, RunCompletion } from '../../src/services/run-store';

/**
 * The real in-memory store, plus what tests need to see and break: the runs it created, and an
 * outage switch per operation (a store that rejects, as MongoDB does when it cannot be reached).
 */
export class InspectableRunStore extends MemoryRunStore {
  readonly createdRunIds: string[] = [];
  readonly down = { create: false, updateStep: false, get: false, ping: false };

  override async create(run: WorkflowRun, claim?: IdempotencyClaim): Promise<CreateResult> {
    if (this.down.create) throw new Error('connect ECONNREFUSED (simulated outage)');
    const result = await super.create(run, claim);
    if (result.created) this.createdRunIds.push(run.run_id);
    return result;
  }

  override async updateStep(runId: string, index: number, step: WorkflowStepRecord, fields: { completed_steps: number; updated_at: string }): Promise<void> {
    if (this.down.updateStep) throw new Error('connect ECONNREFUSED (simulated outage)');
    return super.updateStep(runId, index, step, fields);
  }

  override async finish(runId: string, completion: RunCompletion): Promise<void> {
    if (this.down.updateStep) throw new Error('connect ECONNREFUSED (simulated outage)');
    return super.finish(runId, completion);
  }

  override async get(runId: string): Promise<WorkflowRun | undefined> {
    if (this.down.get) throw new Error('connect ECONNREFUSED (simulated outage)');
    return super.get(runId);
  }

  override async ping(): Promise<void> {
    if (this.down.ping) throw new Error('connect ECONNREFUSED (simulated outage)');
    return super.ping();
  }
}
