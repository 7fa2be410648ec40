// The sink under its old name, for instructions.bench.mjs (still JavaScript) that starts it as
// `node sink.mjs`; remove once that script starts sink.ts.
import { serveSinkProcess } from './sink.ts';

await serveSinkProcess(Number(process.argv[2]) || 0);
