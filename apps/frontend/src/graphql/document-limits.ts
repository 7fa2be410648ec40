import { Kind } from 'graphql';
import type { ASTNode, DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, SelectionSetNode } from 'graphql';

export interface DocumentLimits {
  /** Field nesting of an operation (a root field is depth 1). */
  maxDepth: number;
  /** Fields of an operation or fragment, each fragment counted wherever it is spread; also fields written in the whole document. */
  maxFields: number;
  /** Root fields of an operation (each may be a call to another service). */
  maxRootFields: number;
  /** Fragment definitions in the document. */
  maxFragments: number;
  /** Fragment spreads (`...Name`) written in the document. */
  maxFragmentSpreads: number;
}

/** A document refused for its cost, before graphql's own validation runs; the message names the limit. */
export class DocumentLimitError extends Error {
  constructor(
    message: string,
    readonly nodes: readonly ASTNode[] = [],
  ) {
    super(message);
    this.name = 'DocumentLimitError';
  }
}

/** What a selection set costs once its fragments are spread. */
interface Cost {
  /** Deepest field nesting below the selection set (a leaf field is 1). */
  depth: number;
  fields: number;
  /** Fields at the selection set's own level (through inline fragments and spreads): root fields for an operation. */
  levelFields: number;
}

const NOTHING: Cost = { depth: 0, fields: 0, levelFields: 0 };

function describe(definition: OperationDefinitionNode | FragmentDefinitionNode): string {
  return definition.kind === Kind.FRAGMENT_DEFINITION ? `fragment ${definition.name.value}` : `operation ${definition.name?.value ?? '(anonymous)'}`;
}

/**
 * What the document writes: fragment definitions, fragment spreads and fields (introspection ones
 * too), throwing as soon as a count passes its limit. Bounding the written fields bounds graphql's
 * OverlappingFieldsCanBeMerged rule, quadratic in the fields of a selection set, in every selection
 * set at once, including those of several operations or of fragments no operation uses.
 */
function countWritten(document: DocumentNode, limits: DocumentLimits): void {
  let fragments = 0;
  let spreads = 0;
  let fields = 0;
  const countIn = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        spreads += 1;
        if (spreads > limits.maxFragmentSpreads) {
          throw new DocumentLimitError(`document has more than ${limits.maxFragmentSpreads} fragment spreads; at most ${limits.maxFragmentSpreads} are allowed`, [selection]);
        }
        continue;
      }
      if (selection.kind === Kind.FIELD) {
        fields += 1;
        if (fields > limits.maxFields) {
          throw new DocumentLimitError(`document has more than ${limits.maxFields} fields written in it; at most ${limits.maxFields} are allowed`, [selection]);
        }
      }
      if (selection.selectionSet) countIn(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments += 1;
      if (fragments > limits.maxFragments) {
        throw new DocumentLimitError(`document has more than ${limits.maxFragments} fragment definitions; at most ${limits.maxFragments} are allowed`, [definition]);
      }
    }
    if (definition.kind === Kind.FRAGMENT_DEFINITION || definition.kind === Kind.OPERATION_DEFINITION) countIn(definition.selectionSet);
  }
}

/**
 * Throws a {@link DocumentLimitError} for the first limit the document exceeds; returns when it is
 * within all of them. Linear in the document: each fragment's cost is computed once and reused at
 * every spread (a document of fragments each spreading the previous one twice selects 2^n fields,
 * and walking it spread by spread takes as long), and the walk stops at the first limit passed.
 *
 * Every fragment is measured, used or not, as graphql's own rules visit unused fragments too.
 * Introspection fields (`__schema`, `__type`, `__typename`) and fragments on introspection types
 * (`__Type`, ...) are not counted here: their depth is the introspection query's, not the API's, and
 * the written-field limit bounds them. A fragment spread inside itself counts nothing the second
 * time; graphql's NoFragmentCycles rule reports it.
 */
export function checkDocumentLimits(document: DocumentNode, limits: DocumentLimits): void {
  countWritten(document, limits);

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(definition.name.value)) fragments.set(definition.name.value, definition);
  }
  const fragmentCosts = new Map<string, Cost>();
  const measuring = new Set<string>();

  const costOfFragment = (name: string): Cost => {
    const known = fragmentCosts.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || measuring.has(name) || fragment.typeCondition.name.value.startsWith('__')) return NOTHING;
    measuring.add(name);
    const cost = costOf(fragment.selectionSet, fragment);
    measuring.delete(name);
    fragmentCosts.set(name, cost);
    return cost;
  };

  const costOf = (selectionSet: SelectionSetNode, owner: OperationDefinitionNode | FragmentDefinitionNode): Cost => {
    const total = { ...NOTHING };
    for (const selection of selectionSet.selections) {
      let cost: Cost;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const below = selection.selectionSet ? costOf(selection.selectionSet, owner) : NOTHING;
        cost = { depth: below.depth + 1, fields: below.fields + 1, levelFields: 1 };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost = costOf(selection.selectionSet, owner);
      } else {
        cost = costOfFragment(selection.name.value);
      }
      total.depth = Math.max(total.depth, cost.depth);
      total.fields += cost.fields;
      total.levelFields += cost.levelFields;
      // Checked at every step, so no count ever grows past twice its limit before the walk stops.
      if (total.fields > limits.maxFields) {
        throw new DocumentLimitError(`${describe(owner)} selects more than ${limits.maxFields} fields (fragments counted where spread); at most ${limits.maxFields} are allowed`, [owner]);
      }
      if (total.depth > limits.maxDepth) {
        throw new DocumentLimitError(`${describe(owner)} is nested more than ${limits.maxDepth} levels deep; at most ${limits.maxDepth} are allowed`, [owner]);
      }
    }
    return total;
  };

  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      const { levelFields } = costOf(definition.selectionSet, definition);
      if (levelFields > limits.maxRootFields) {
        throw new DocumentLimitError(`${describe(definition)} has ${levelFields} root fields; at most ${limits.maxRootFields} are allowed`, [definition]);
      }
    } else if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      costOfFragment(definition.name.value);
    }
  }
}
