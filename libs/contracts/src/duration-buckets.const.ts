/**
 * Bucket boundaries for request- and call-scale durations, in seconds: the seed's millisecond
 * buckets (5 ms … 10 s) converted, which is also what the stable HTTP and RPC semantic conventions
 * advise. One list for every hop: the preload's HTTP histograms (which add a 0 boundary, see
 * @mcp/otel-bootstrap's metrics.ts), the gRPC call histograms and the model-inference histograms.
 *
 * A module of its own, reachable as `@mcp/contracts/duration-buckets`, so that the preload can
 * bundle this list without loading the rest of the contracts (gRPC, schemas).
 */
export const REQUEST_DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
