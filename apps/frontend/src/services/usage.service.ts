import { LIMITS } from '@mcp/contracts';
import { HttpError } from '@mcp/service-kit';
import type { Logger } from 'pino';
import type { UsageLedger, UsageTotals } from '../ledger/usage-ledger';

export interface UsageService {
  /** A user's totals from the ledger (zeros for an unknown user). */
  totals(userId: string): Promise<UsageTotals>;
}

export function createUsageService(ledger: UsageLedger, logger: Logger): UsageService {
  return {
    async totals(userId) {
      const id = userId.trim();
      if (id === '' || id.length > LIMITS.identifierChars) throw new HttpError(400, 'invalid request', [`userId: must be 1-${LIMITS.identifierChars} characters`]);
      try {
        return await ledger.totals(id);
      } catch (error) {
        if (error instanceof HttpError) throw error;
        logger.error({ ledger_backend: ledger.backend, err: { message: error instanceof Error ? error.message : String(error) } }, 'usage totals unavailable');
        throw new HttpError(503, 'usage ledger is unavailable; try again later');
      }
    },
  };
}
