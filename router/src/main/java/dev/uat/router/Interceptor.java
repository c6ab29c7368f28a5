package dev.uat.router;

import java.util.List;
import java.util.Objects;

/**
 * One cross-cutting step of a request (limits, accounting, cache, routing), in the manner of
 * okhttp's interceptors: it reads {@link Chain#request()}, and either answers itself or calls
 * {@link Chain#proceed} exactly once with the request (or a changed copy) and acts on the returned
 * {@link Answer} — usually by wrapping its stream, since a chat answer may still be arriving when
 * {@code intercept} returns. What a step tells the steps before it is in the {@link Answer} it
 * returns; nothing is passed through shared mutable state.
 *
 * <p>Implementations are thread-safe; they never block except where their job is to (routing waits
 * for upstreams).
 */
@FunctionalInterface
interface Interceptor {
  Answer intercept(Chain chain);

  /** The request as this step receives it, and the rest of the chain. Confined to one request. */
  interface Chain {
    RouterRequest request();

    /**
     * Runs the rest of the chain on {@code request}.
     *
     * @throws IllegalStateException when called more than once, or after the last step
     */
    Answer proceed(RouterRequest request);
  }

  /** Runs {@code request} through {@code interceptors} in order; the last must answer itself. */
  static Answer run(List<Interceptor> interceptors, RouterRequest request) {
    return new RealChain(interceptors, 0, request).proceed(request);
  }

  /** okhttp's {@code RealInterceptorChain}: one per step, checking that it proceeds once. */
  final class RealChain implements Chain {
    private final List<Interceptor> interceptors;
    private final int index;
    private final RouterRequest request;
    private boolean called;

    RealChain(List<Interceptor> interceptors, int index, RouterRequest request) {
      this.interceptors = interceptors;
      this.index = index;
      this.request = request;
    }

    @Override
    public RouterRequest request() {
      return request;
    }

    @Override
    public Answer proceed(RouterRequest request) {
      Objects.requireNonNull(request, "request");
      if (index >= interceptors.size()) {
        throw new IllegalStateException("the last interceptor must answer");
      }
      if (called) {
        throw new IllegalStateException("must call proceed() exactly once");
      }
      called = true;
      return interceptors.get(index).intercept(new RealChain(interceptors, index + 1, request));
    }
  }
}
