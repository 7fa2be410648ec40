import { GraphQLError, parse, validate } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { createHandler } from 'graphql-http/lib/use/express';
import type { RequestHandler } from 'express';
import { HttpError } from '@mcp/service-kit';
import type { Logger } from 'pino';
import { DocumentLimitError, checkDocumentLimits } from './document-limits';
import { noSubscriptionsRule } from './validation.rules';

export interface GraphqlHandlerOptions {
  schema: GraphQLSchema;
  logger: Logger;
  maxDepth: number;
  maxFields: number;
  /** Root fields per operation (each may be a call to another service). Default 10. */
  maxRootFields?: number;
  /** Characters of one document. Default 40 000 (a prompt belongs in variables, but a long inline one still fits). */
  maxDocumentChars?: number;
  /** Lexer tokens of one document. Default 2 000. */
  maxTokens?: number;
  /** Fragment definitions of one document. Default 50. */
  maxFragments?: number;
  /** Fragment spreads written in one document. Default 100. */
  maxFragmentSpreads?: number;
}

/** `extensions.code` of an HTTP status, as clients of GraphQL servers expect them. */
export function graphqlCodeOf(status: number): string {
  if (status === 400 || status === 422) return 'BAD_USER_INPUT';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'UNAVAILABLE';
  if (status === 504) return 'DEADLINE_EXCEEDED';
  if (status === 502) return 'BAD_GATEWAY';
  if (status >= 400 && status < 500) return 'BAD_REQUEST';
  return 'INTERNAL_SERVER_ERROR';
}

function tagged(error: GraphQLError, code: string, message = error.message, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, ...extra, code },
  });
}

/** graphql's parse error for a document over `maxTokens` ("more that 2000 tokens" in graphql 16, "than" once fixed). */
const TOO_MANY_TOKENS = /^Syntax Error: Document contains more th(?:at|an) \d+ tokens/;

/**
 * `POST /graphql` with graphql-http. Size, token, fragment, depth, field and root-field limits are
 * checked right after parsing, in one pass linear in the document, before graphql's own validation
 * (whose rules are not all linear) runs; a document over a limit is a 400 whatever the client
 * accepts. Every error leaves with an `extensions.code` and never with a stack or an internal message.
 */
export function createGraphqlHandler(options: GraphqlHandlerOptions): RequestHandler {
  const maxDocumentChars = options.maxDocumentChars ?? 40_000;
  const maxTokens = options.maxTokens ?? 2_000;
  const limits = {
    maxDepth: options.maxDepth,
    maxFields: options.maxFields,
    maxRootFields: options.maxRootFields ?? 10,
    maxFragments: options.maxFragments ?? 50,
    maxFragmentSpreads: options.maxFragmentSpreads ?? 100,
  };

  // A DocumentLimitError is not a GraphQLError: graphql-http answers errors thrown by parse that are
  // not GraphQL errors as request errors, 400, and formatError below gives them their code.
  const parseWithLimits: typeof parse = (source, parseOptions) => {
    const length = typeof source === 'string' ? source.length : source.body.length;
    if (length > maxDocumentChars) {
      throw new DocumentLimitError(`document is ${length} characters long; at most ${maxDocumentChars} are allowed (pass long values as variables)`);
    }
    let document: ReturnType<typeof parse>;
    try {
      document = parse(source, { ...parseOptions, maxTokens });
    } catch (error) {
      if (error instanceof GraphQLError && TOO_MANY_TOKENS.test(error.message)) throw new DocumentLimitError(`document has more than ${maxTokens} tokens; at most ${maxTokens} are allowed`);
      if (error instanceof GraphQLError) throw tagged(error, 'GRAPHQL_PARSE_FAILED');
      throw error;
    }
    checkDocumentLimits(document, limits);
    return document;
  };

  const validateTagged: typeof validate = (schema, document, validationRules, validationOptions, typeInfo) =>
    validate(schema, document, validationRules, { maxErrors: 20, ...validationOptions }, typeInfo).map((error) =>
      error.extensions['code'] === undefined ? tagged(error, 'GRAPHQL_VALIDATION_FAILED') : error,
    );

  const formatError = (error: Readonly<GraphQLError | Error>): GraphQLError | Error => {
    if (error instanceof DocumentLimitError) return new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    if (!(error instanceof GraphQLError)) {
      // graphql-http's own request errors ("Missing query", bad variables JSON): safe messages about the request.
      return new GraphQLError(error.message, { extensions: { code: 'BAD_REQUEST' } });
    }
    const original = error.originalError;
    if (original instanceof HttpError) {
      const code = graphqlCodeOf(original.status);
      if (code === 'INTERNAL_SERVER_ERROR') {
        options.logger.error({ err: original, path: error.path }, 'graphql resolver failed');
        return tagged(error, code, 'internal error');
      }
      return tagged(error, code, original.message, original.details && original.details.length > 0 ? { details: original.details } : {});
    }
    if (original && !(original instanceof GraphQLError)) {
      options.logger.error({ err: original, path: error.path }, 'graphql resolver failed');
      return tagged(error, 'INTERNAL_SERVER_ERROR', 'internal error');
    }
    if (typeof error.extensions['code'] === 'string') return error;
    // Untagged GraphQL errors come from coercing arguments and variables: the client's input.
    return tagged(error, 'BAD_USER_INPUT');
  };

  return createHandler({ schema: options.schema, parse: parseWithLimits, validate: validateTagged, validationRules: [noSubscriptionsRule], formatError });
}

/**
 * Anything but POST on `/graphql`: 405. A GET query is a request any web page can make its visitors
 * send (a link, an image), and queries have side effects here (`route` calls a model and writes a
 * usage row), so GraphQL is POST with a JSON body only, which a cross-site form cannot send.
 */
export const graphqlPostOnly: RequestHandler = (req, res) => {
  res
    .set('allow', 'POST')
    .status(405)
    .json({ errors: [{ message: `${req.method} is not allowed on /graphql: POST the query as JSON (content-type: application/json)`, extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
};
