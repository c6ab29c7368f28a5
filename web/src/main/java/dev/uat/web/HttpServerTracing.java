package dev.uat.web;

import static java.util.Objects.requireNonNull;

import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TraceParent;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerMetrics;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerRoute;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerRouteSource;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import io.opentelemetry.semconv.ErrorAttributes;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.BinaryOperator;

/**
 * A SERVER span and an {@code http.server.request.duration} measurement for every HTTP request, on
 * the OpenTelemetry instrumentation API's {@link Instrumenter} with its HTTP server conventions
 * ({@link HttpServerAttributesExtractor}, {@link HttpServerMetrics}, {@link HttpServerRoute}).
 *
 * <p>No maintained library instrumentation exists for Jetty 12 or Javalin (only the Java agent has
 * them), so this servlet filter is what is left of ours: it starts and ends the operation, ends it
 * when an asynchronous response (SSE, streaming) completes, and writes the {@code traceresponse}
 * (W3C Trace Context level 2) and {@code X-Trace-Id} headers, also when the trace is not sampled.
 * What the request says about itself is read by {@link ServletHttpAttributes}. The span is named
 * after the method until the router matches a route; then {@link #route(String)} renames it {@code
 * "POST /api/chat"}.
 *
 * <p>Health and metrics endpoints are not traced: they are polled, and a trace per poll would bury
 * the traces people look for.
 */
public final class HttpServerTracing implements Filter {
  /** Request attribute under which the resolved client address is kept for the handlers. */
  public static final String CLIENT_ADDRESS_ATTRIBUTE = "uat.client.address";

  /** Request attribute set when an asynchronous response timed out. */
  static final String TIMED_OUT_ATTRIBUTE = "uat.http.timed_out";

  private final Instrumenter<HttpServletRequest, HttpServletResponse> instrumenter;
  private final BinaryOperator<String> clientAddress;

  /** Believes no {@code X-Forwarded-For}: the peer is the client. */
  public HttpServerTracing(Telemetry telemetry) {
    this(telemetry, (peer, forwarded) -> peer);
  }

  /**
   * @param clientAddress the client's address from the peer address and {@code X-Forwarded-For}
   */
  public HttpServerTracing(Telemetry telemetry, BinaryOperator<String> clientAddress) {
    this.clientAddress = requireNonNull(clientAddress, "clientAddress");
    ServletHttpAttributes getter = ServletHttpAttributes.INSTANCE;
    this.instrumenter =
        Instrumenter.<HttpServletRequest, HttpServletResponse>builder(
                telemetry.openTelemetry(), Telemetry.SCOPE, HttpSpanNameExtractor.create(getter))
            .setSpanStatusExtractor(HttpSpanStatusExtractor.create(getter))
            .addAttributesExtractor(HttpServerAttributesExtractor.create(getter))
            .addAttributesExtractor(new FailureType())
            .addContextCustomizer(HttpServerRoute.create(getter))
            .addOperationMetrics(HttpServerMetrics.get())
            .buildServerInstrumenter(getter);
  }

  /**
   * Names the current request's span after its route template, e.g. {@code GET
   * /api/conversations/{id}}, and gives the route to its duration measurement. Called by the router
   * once a handler matched, on the request's thread.
   */
  public static void route(String route) {
    HttpServerRoute.update(Context.current(), HttpServerRouteSource.CONTROLLER, route);
  }

  static boolean untraced(String path) {
    return path.startsWith("/health/") || path.equals("/metrics");
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    request.setAttribute(
        CLIENT_ADDRESS_ATTRIBUTE,
        clientAddress.apply(request.getRemoteAddr(), request.getHeader("X-Forwarded-For")));
    Context parent = Context.root();
    if (untraced(request.getRequestURI()) || !instrumenter.shouldStart(parent, request)) {
      chain.doFilter(req, res);
      return;
    }
    Context context = instrumenter.start(parent, request);
    TraceParent.of(context)
        .ifPresent(
            traceparent -> {
              response.setHeader("traceresponse", traceparent);
              response.setHeader(
                  "X-Trace-Id", Span.fromContext(context).getSpanContext().getTraceId());
            });
    Throwable failure = null;
    try (Scope ignored = context.makeCurrent()) {
      chain.doFilter(req, res);
    } catch (IOException | ServletException | RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      if (failure == null && request.isAsyncStarted()) {
        request.getAsyncContext().addListener(new EndOnComplete(context, request, response));
      } else {
        end(context, request, response, failure);
      }
    }
  }

  private void end(
      Context context,
      HttpServletRequest request,
      HttpServletResponse response,
      Throwable failure) {
    if ("websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
      // WebSocket endpoints are not wrapped by the router; their paths are fixed templates (a
      // route the router set first wins)
      HttpServerRoute.update(context, HttpServerRouteSource.CONTROLLER, request.getRequestURI());
    }
    instrumenter.end(context, request, response, failure);
  }

  /**
   * {@code error.type} for what the status code does not say: the exception's class when one
   * escaped (its status is 500), {@code timeout} when an asynchronous response timed out below 500.
   */
  private static final class FailureType
      implements AttributesExtractor<HttpServletRequest, HttpServletResponse> {
    @Override
    public void onStart(
        AttributesBuilder attributes, Context parentContext, HttpServletRequest request) {}

    @Override
    public void onEnd(
        AttributesBuilder attributes,
        Context context,
        HttpServletRequest request,
        HttpServletResponse response,
        Throwable error) {
      if (error != null) {
        attributes.put(ErrorAttributes.ERROR_TYPE, error.getClass().getName());
      } else if (request.getAttribute(TIMED_OUT_ATTRIBUTE) != null && response.getStatus() < 500) {
        attributes.put(ErrorAttributes.ERROR_TYPE, "timeout");
      }
    }
  }

  /** Ends an asynchronous request's operation when its response completes. */
  private final class EndOnComplete implements AsyncListener {
    private final Context context;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private Throwable failure;

    EndOnComplete(Context context, HttpServletRequest request, HttpServletResponse response) {
      this.context = context;
      this.request = request;
      this.response = response;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      end(context, request, response, failure);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      request.setAttribute(TIMED_OUT_ATTRIBUTE, Boolean.TRUE);
    }

    @Override
    public void onError(AsyncEvent event) {
      failure = event.getThrowable();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {}
  }
}
