package dev.uat.web;

import static java.util.Objects.requireNonNull;

import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
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
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * A SERVER span and an {@code http.server.request.duration} measurement for every HTTP request,
 * following the OpenTelemetry HTTP semantic conventions.
 *
 * <p>No maintained library instrumentation exists for Jetty 12 or Javalin (only the Java agent has
 * them), so this servlet filter is ours. The span is named after the method until the router
 * matches a route; then {@link #route(String, String)} renames it {@code "POST /api/chat"}. The
 * response carries {@code traceresponse} (W3C Trace Context level 2) and {@code X-Trace-Id}, also
 * when the trace is not sampled.
 *
 * <p>Health and metrics endpoints are not traced: they are polled, and a trace per poll would bury
 * the traces people look for.
 */
public final class HttpServerTracing implements Filter {
  /** Request attribute that holds the matched route template. */
  public static final String ROUTE_ATTRIBUTE = "uat.http.route";

  static final AttributeKey<String> HTTP_REQUEST_METHOD =
      AttributeKey.stringKey("http.request.method");
  static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
  static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE =
      AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
  static final AttributeKey<String> NETWORK_PEER_ADDRESS =
      AttributeKey.stringKey("network.peer.address");
  static final AttributeKey<String> NETWORK_PROTOCOL_VERSION =
      AttributeKey.stringKey("network.protocol.version");
  static final AttributeKey<String> USER_AGENT = AttributeKey.stringKey("user_agent.original");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  /** Bucket boundaries the HTTP semantic conventions advise, in seconds. */
  static final List<Double> DURATION_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private static final Set<String> KNOWN_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  @SuppressWarnings("deprecation") // keys(): required by the interface, unused by W3C extraction
  private static final TextMapGetter<HttpServletRequest> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpServletRequest carrier) {
          return Collections.list(carrier.getHeaderNames());
        }

        @Override
        public String get(HttpServletRequest carrier, String key) {
          return carrier == null ? null : carrier.getHeader(key);
        }
      };

  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final DoubleHistogram duration;

  /** Request attribute under which the resolved client address is kept for the handlers. */
  public static final String CLIENT_ADDRESS_ATTRIBUTE = "uat.client.address";

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
    this.tracer = telemetry.tracer();
    this.propagator = telemetry.propagators().getTextMapPropagator();
    this.duration =
        telemetry
            .meter()
            .histogramBuilder("http.server.request.duration")
            .setUnit("s")
            .setDescription("Duration of HTTP server requests.")
            .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
            .build();
  }

  /**
   * Names the current request's span after its route template, e.g. {@code GET
   * /api/conversations/{id}}. Called by the router once a handler matched.
   */
  public static void route(HttpServletRequest request, String method, String route) {
    request.setAttribute(ROUTE_ATTRIBUTE, route);
    Span span = Span.current();
    span.updateName(method + " " + route);
    span.setAttribute(HTTP_ROUTE, route);
  }

  static boolean untraced(String path) {
    return path.startsWith("/health/") || path.equals("/metrics");
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    String path = request.getRequestURI();
    if (untraced(path)) {
      chain.doFilter(req, res);
      return;
    }
    long startNanos = System.nanoTime();
    String method = KNOWN_METHODS.contains(request.getMethod()) ? request.getMethod() : "_OTHER";
    Context parent = propagator.extract(Context.root(), request, GETTER);
    Span span =
        tracer
            .spanBuilder(method.equals("_OTHER") ? "HTTP" : method)
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute(HTTP_REQUEST_METHOD, method)
            .setAttribute(URL_PATH, path)
            .setAttribute(URL_SCHEME, request.getScheme())
            .setAttribute(SERVER_ADDRESS, request.getServerName())
            .setAttribute(SERVER_PORT, (long) request.getServerPort())
            .setAttribute(CLIENT_ADDRESS, clientAddress(request))
            .setAttribute(NETWORK_PEER_ADDRESS, request.getRemoteAddr())
            .setAttribute(NETWORK_PROTOCOL_VERSION, protocolVersion(request.getProtocol()))
            .setAttribute(USER_AGENT, request.getHeader("User-Agent"))
            .startSpan();
    SpanContext sc = span.getSpanContext();
    if (sc.isValid()) {
      response.setHeader(
          "traceresponse",
          "00-" + sc.getTraceId() + "-" + sc.getSpanId() + "-" + sc.getTraceFlags().asHex());
      response.setHeader("X-Trace-Id", sc.getTraceId());
    }
    Context context = parent.with(span);
    Throwable failure = null;
    try (Scope ignored = context.makeCurrent()) {
      chain.doFilter(req, res);
    } catch (IOException | ServletException | RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      if (failure == null && request.isAsyncStarted()) {
        request.getAsyncContext().addListener(new EndOnComplete(span, context, method, startNanos));
      } else {
        end(span, context, method, request, response, failure, startNanos);
      }
    }
  }

  private void end(
      Span span,
      Context context,
      String method,
      HttpServletRequest request,
      HttpServletResponse response,
      Throwable failure,
      long startNanos) {
    int status = failure == null ? response.getStatus() : 500;
    span.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) status);
    AttributesBuilder metric =
        Attributes.builder()
            .put(HTTP_REQUEST_METHOD, method)
            .put(URL_SCHEME, request.getScheme())
            .put(HTTP_RESPONSE_STATUS_CODE, (long) status);
    Object route = request.getAttribute(ROUTE_ATTRIBUTE);
    if (route == null && "websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
      // WebSocket endpoints are not wrapped by the router; their paths are fixed templates
      route = request.getRequestURI();
      span.updateName(method + " " + route);
      span.setAttribute(HTTP_ROUTE, (String) route);
    }
    if (route instanceof String r) {
      metric.put(HTTP_ROUTE, r);
    }
    if (failure != null) {
      span.recordException(failure);
      span.setStatus(StatusCode.ERROR);
      span.setAttribute(ERROR_TYPE, failure.getClass().getName());
      metric.put(ERROR_TYPE, failure.getClass().getName());
    } else if (status >= 500) {
      span.setStatus(StatusCode.ERROR);
      span.setAttribute(ERROR_TYPE, Integer.toString(status));
      metric.put(ERROR_TYPE, Integer.toString(status));
    }
    span.end();
    duration.record((System.nanoTime() - startNanos) / 1e9, metric.build(), context);
  }

  private String clientAddress(HttpServletRequest request) {
    String client =
        clientAddress.apply(request.getRemoteAddr(), request.getHeader("X-Forwarded-For"));
    request.setAttribute(CLIENT_ADDRESS_ATTRIBUTE, client);
    return client;
  }

  private static String protocolVersion(String protocol) {
    if (protocol == null) {
      return null;
    }
    int slash = protocol.indexOf('/');
    return slash < 0 ? protocol : protocol.substring(slash + 1);
  }

  private final class EndOnComplete implements AsyncListener {
    private final Span span;
    private final Context context;
    private final String method;
    private final long startNanos;

    EndOnComplete(Span span, Context context, String method, long startNanos) {
      this.span = span;
      this.context = context;
      this.method = method;
      this.startNanos = startNanos;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      end(
          span,
          context,
          method,
          (HttpServletRequest) event.getSuppliedRequest(),
          (HttpServletResponse) event.getSuppliedResponse(),
          null,
          startNanos);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      span.setAttribute(ERROR_TYPE, "timeout");
    }

    @Override
    public void onError(AsyncEvent event) {
      if (event.getThrowable() != null) {
        span.recordException(event.getThrowable());
      }
      span.setStatus(StatusCode.ERROR);
    }

    @Override
    public void onStartAsync(AsyncEvent event) {}
  }
}
