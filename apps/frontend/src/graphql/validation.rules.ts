import { GraphQLError, Kind } from 'graphql';
import type { ASTVisitor, FragmentDefinitionNode, SelectionSetNode, ValidationContext, ValidationRule } from 'graphql';

/**
 * Walks a selection set through fragments, ignoring introspection fields (`__schema`, `__type`,
 * `__typename`): their depth is the introspection query's, not the API's, and the document size
 * limit already bounds them. Fragment cycles are reported by graphql's own rule; here a fragment
 * already on the path is simply not entered again.
 */
function measure(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  depth: number,
  path: ReadonlySet<string>,
  visit: (depth: number) => void,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      visit(depth);
      if (selection.selectionSet) measure(selection.selectionSet, fragments, depth + 1, path, visit);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      measure(selection.selectionSet, fragments, depth, path, visit);
    } else {
      const name = selection.name.value;
      const fragment = fragments[name];
      if (fragment && !path.has(name)) measure(fragment.selectionSet, fragments, depth, new Set([...path, name]), visit);
    }
  }
}

function fragmentsOf(context: ValidationContext): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return fragments;
}

/** Rejects operations nesting fields deeper than `maxDepth` (a root field is depth 1). */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      let deepest = 0;
      measure(operation.selectionSet, fragmentsOf(context), 1, new Set(), (depth) => {
        deepest = Math.max(deepest, depth);
      });
      if (deepest > maxDepth) {
        context.reportError(new GraphQLError(`operation ${operation.name?.value ?? '(anonymous)'} is nested ${deepest} levels deep; at most ${maxDepth} are allowed`, { nodes: [operation] }));
      }
    },
  });
}

/**
 * Rejects operations selecting more than `maxFields` fields in all (fragments counted where they are
 * spread, so aliases and repeated spreads cannot multiply the work unseen).
 */
export function fieldLimitRule(maxFields: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      let fields = 0;
      measure(operation.selectionSet, fragmentsOf(context), 1, new Set(), () => {
        fields += 1;
      });
      if (fields > maxFields) {
        context.reportError(new GraphQLError(`operation ${operation.name?.value ?? '(anonymous)'} selects ${fields} fields; at most ${maxFields} are allowed`, { nodes: [operation] }));
      }
    },
  });
}

/**
 * Bounds the root fields that call other services (`route`, `executeWorkflow`, ...): each is a gRPC
 * or HTTP call, and aliases would otherwise turn one request into hundreds of them.
 */
export function rootFieldLimitRule(maxRootFields: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      let count = 0;
      measure(operation.selectionSet, fragmentsOf(context), 1, new Set(), (depth) => {
        if (depth === 1) count += 1;
      });
      if (count > maxRootFields) {
        context.reportError(new GraphQLError(`operation ${operation.name?.value ?? '(anonymous)'} has ${count} root fields; at most ${maxRootFields} are allowed`, { nodes: [operation] }));
      }
    },
  });
}

/** The schema has no subscriptions and HTTP cannot carry them: say so at validation, like any other unsupported operation. */
export const noSubscriptionsRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(operation) {
    if (operation.operation === 'subscription') context.reportError(new GraphQLError('subscriptions are not supported', { nodes: [operation] }));
  },
});
