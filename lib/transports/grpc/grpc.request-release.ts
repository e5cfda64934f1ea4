/** How far down a chain of grpc-js server interceptors the call that reads the bytes is looked for. */
const MAX_INTERCEPTORS = 16;
/** `StreamDecoder`'s state between two messages (`ReadState.NO_DATA`). */
const BETWEEN_MESSAGES = 0;

interface Decoder {
  readState?: unknown;
  readPartialMessage?: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/**
 * @internal Lets go of what a Watch call holds of its request, once the service is read: a stream
 * stays open as long as the client likes, and its request may be as large as the server takes
 * (4 MB by default), so 1000 streams could hold gigabytes.
 *
 * - The request object: grpc-js keeps it for the whole call (`call.request`, and a closure), and
 *   so does whatever kept Nest's context of the call (an interceptor keeping `getArgs()`). It is
 *   emptied in place, which frees its strings everywhere.
 * - The bytes it came in: grpc-js's decoder (`StreamDecoder`, 1.10 to 1.14 at least) keeps the
 *   chunks of the last message it read until another begins, which on a server stream never
 *   happens. No public API lets go of them: they are dropped where the decoder is found, between
 *   two messages (when dropping them changes nothing it would read). Elsewhere nothing is touched;
 *   `test/grpc-watch-memory.e2e-spec.ts` measures what a stream holds, and fails if they are kept.
 */
export function releaseRequest(request: unknown, call: unknown): void {
  if (isObject(request)) {
    for (const key of Object.keys(request)) {
      try {
        delete request[key];
      } catch {
        // A frozen request holds what it holds; the answer is the same.
      }
    }
  }
  try {
    const decoder = decoderOf(call);
    if (decoder?.readState === BETWEEN_MESSAGES && Array.isArray(decoder.readPartialMessage)) {
      decoder.readPartialMessage = [];
    }
  } catch {
    // Another grpc-js, or a call of a test: its bytes stay where they are.
  }
}

/** The decoder of a grpc-js server call: on the call under its interceptors, if any. */
function decoderOf(call: unknown): Decoder | undefined {
  let current = isObject(call) ? call.call : undefined;
  for (let depth = 0; depth < MAX_INTERCEPTORS && isObject(current); depth++) {
    if (isObject(current.decoder)) return current.decoder;
    current = current.nextCall;
  }
  return undefined;
}
