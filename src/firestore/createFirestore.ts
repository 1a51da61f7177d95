import { Firestore } from '@google-cloud/firestore';

/**
 * A gRPC client interceptor (@grpc/grpc-js `Interceptor`), typed loosely so that the runtime does not import
 * gRPC itself: the client library brings it.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type FirestoreCallInterceptor = (options: any, nextCall: (options: any) => any) => any;

/** Interceptors every Firestore call of this process goes through (see interceptFirestoreCalls). */
const interceptors: FirestoreCallInterceptor[] = [];

/**
 * Puts a gRPC interceptor on every call of the Firestore clients this process creates from now on, through
 * grpc-js's public `callInvocationTransformer` client option. For measuring what each request costs (the
 * capacity bench counts documents read and written per request, whichever component sends it); nothing in
 * the running system registers one, and a client created while none is registered is left as it was.
 * Returns a function that takes it off again.
 */
export function interceptFirestoreCalls(interceptor: FirestoreCallInterceptor): () => void {
  interceptors.push(interceptor);
  return () => {
    const at = interceptors.indexOf(interceptor);
    if (at >= 0) interceptors.splice(at, 1);
  };
}

interface CallProperties {
  readonly callOptions: { interceptors?: FirestoreCallInterceptor[] };
}

function withInterceptors<P extends CallProperties>(properties: P): P {
  if (interceptors.length === 0) return properties;
  const callOptions = { ...properties.callOptions, interceptors: [...(properties.callOptions.interceptors ?? []), ...interceptors] };
  return { ...properties, callOptions };
}

/**
 * One place that decides how we talk to Firestore. With FIRESTORE_EMULATOR_HOST set, the client
 * library connects to the emulator on its own; `ignoreUndefinedProperties` lets optional metadata
 * fields be absent rather than fail the write.
 */
export function createFirestore(projectId: string): Firestore {
  return new Firestore({
    projectId,
    ignoreUndefinedProperties: true,
    // Passed by google-gax to each gRPC client it creates.
    ...(interceptors.length > 0 ? { 'grpc.callInvocationTransformer': withInterceptors } : {}),
  });
}
