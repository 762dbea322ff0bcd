/**
 * A build parameter that cannot be used: the package's field error (lib/fieldError.ts), under the name the
 * Create BuildKit Job code has always used, so image references and git URLs checked by the shared modules
 * are BuildInputErrors too.
 */
export { FieldError as BuildInputError, quoteValue } from '../fieldError';
