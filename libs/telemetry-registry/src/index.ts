// The telemetry registry (model/, Weaver's format) and the checker of live telemetry against it and
// the OpenTelemetry semantic conventions.

export { REGISTRY_DIR, loadRegistry, registryConflicts } from './registry';
export type { AttributeType, Instrument, Registry, RegistryAttribute, RegistryMetric, Stability } from './registry';
export { loadSemconvCatalog, semconvAttribute } from './semconv-catalog';
export type { SemconvCatalog, SemconvEntry, SemconvStatus } from './semconv-catalog';
export { MAX_SAMPLE_VALUES, addToInventory, emptyInventory, mergeInventory, observedType } from './inventory';
export type {
  AttributeSite,
  InventoryLog,
  InventoryMetricPoint,
  InventorySpan,
  ObservedAttribute,
  ObservedMetric,
  ObservedType,
  TelemetryInventory,
} from './inventory';
export { NAME_CLASSES, classifyInventory, formatCounts } from './classify';
export type { Classification, ClassifiedName, ClassifyOptions, NameClass } from './classify';
export { REFERENCE_DOC_PATH, renderReferenceDoc } from './reference-doc';
