import { GraphQLError } from 'graphql';
import type { ASTVisitor, ValidationContext, ValidationRule } from 'graphql';

/** The schema has no subscriptions and HTTP cannot carry them: say so at validation, like any other unsupported operation. */
export const noSubscriptionsRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(operation) {
    if (operation.operation === 'subscription') context.reportError(new GraphQLError('subscriptions are not supported', { nodes: [operation] }));
  },
});
