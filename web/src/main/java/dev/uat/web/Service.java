package dev.uat.web;

import static java.util.Objects.requireNonNull;

import dev.uat.telemetry.MetricsEndpoint;
import dev.uat.telemetry.Telemetry;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import jakarta.servlet.DispatcherType;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.SessionHandler;
import org.eclipse.jetty.session.NullSessionCache;
import org.eclipse.jetty.session.NullSessionDataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One component's HTTP server: Javalin on virtual threads with what every component shares — a
 * SERVER span per request, JSON errors, a body size limit, {@code /health/live}, {@code
 * /health/ready} and {@code /metrics}.
 *
 * <p>Build with {@link #builder(String, Telemetry)}, register routes in {@link
 * Builder#routes(Consumer)}, then {@link Builder#start()}. {@link #close()} stops the server.
 */
public final class Service implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Service.class);

  /** Default request body limit. */
  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  /** The array a response's result is copied through (Javalin's default: 32 KiB per response). */
  static final int RESULT_COPY_BYTES = 4096;

  private final String name;
  private final Javalin app;

  private Service(String name, Javalin app) {
    this.name = name;
    this.app = app;
  }

  public static Builder builder(String name, Telemetry telemetry) {
    return new Builder(name, telemetry);
  }

  /** The port the server listens on (the real one when started on port 0). */
  public int port() {
    return app.port();
  }

  public String name() {
    return name;
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  @Override
  public void close() {
    app.stop();
  }

  @Override
  public String toString() {
    return "Service{" + name + " :" + port() + "}";
  }

  /** A readiness check: throws (with a short message) when the dependency is not usable. */
  @FunctionalInterface
  public interface Check {
    void run() throws Exception;
  }

  /**
   * The client's address as this service's {@link Exposure} resolves it: the peer, or what a
   * trusted proxy's {@code X-Forwarded-For} says. Use this for rate limits and audit records, never
   * the raw header.
   */
  public static String clientAddress(Context ctx) {
    Object resolved = ctx.req().getAttribute(HttpServerTracing.CLIENT_ADDRESS_ATTRIBUTE);
    return resolved instanceof String s ? s : ctx.req().getRemoteAddr();
  }

  /**
   * No component uses HTTP sessions, but Javalin makes one for every WebSocket upgrade and Jetty
   * keeps it forever: a client opening sockets in a loop would grow the heap without end. Sessions
   * are neither cached nor stored.
   */
  static void keepNoSessions(SessionHandler sessions) {
    NullSessionCache cache = new NullSessionCache(sessions);
    cache.setSessionDataStore(new NullSessionDataStore());
    sessions.setSessionCache(cache);
  }

  /** Renders an error into the response; the default writes our JSON error shape. */
  public static void renderError(Context ctx, HttpError error) {
    if (error.status() == 413) {
      drainRequestBody(ctx);
    }
    ctx.status(error.status());
    if (error.retryAfterSeconds() >= 0) {
      ctx.header("Retry-After", Long.toString(error.retryAfterSeconds()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("code", error.code());
    body.put("message", error.getMessage());
    body.put("type", error.type());
    String traceId = Span.current().getSpanContext().getTraceId();
    if (Span.current().getSpanContext().isValid()) {
      body.put("trace_id", traceId);
    }
    ctx.contentType("application/json").result(Json.write(Map.of("error", body)));
  }

  /**
   * Reads what is left of a refused request body ({@link BoundedBody#drain}) and closes the
   * connection after the answer.
   */
  private static void drainRequestBody(Context ctx) {
    ctx.header("Connection", "close");
    BoundedBody.drain(ctx.req());
  }

  public static final class Builder {
    private final String name;
    private final Telemetry telemetry;
    private String host = "127.0.0.1";
    private int port;
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private Exposure exposure = Exposure.LOOPBACK;
    private final Map<String, Check> checks = new LinkedHashMap<>();
    private Consumer<JavalinConfig> routes = cfg -> {};

    private Builder(String name, Telemetry telemetry) {
      this.name = requireNonNull(name, "name");
      this.telemetry = requireNonNull(telemetry, "telemetry");
    }

    public Builder host(String host) {
      this.host = requireNonNull(host, "host");
      return this;
    }

    /** Port to listen on; 0 picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.port = port;
      return this;
    }

    public Builder maxBodyBytes(long maxBodyBytes) {
      if (maxBodyBytes <= 0) {
        throw new IllegalArgumentException("maxBodyBytes must be positive");
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /** Trusted proxies and who may read {@code /metrics}; default {@link Exposure#LOOPBACK}. */
    public Builder exposure(Exposure exposure) {
      this.exposure = requireNonNull(exposure, "exposure");
      return this;
    }

    /** Adds a dependency that {@code /health/ready} checks. */
    public Builder readiness(String dependency, Check check) {
      checks.put(requireNonNull(dependency, "dependency"), requireNonNull(check, "check"));
      return this;
    }

    public Builder routes(Consumer<JavalinConfig> routes) {
      this.routes = requireNonNull(routes, "routes");
      return this;
    }

    public Service start() {
      MetricsEndpoint metrics = new MetricsEndpoint(telemetry);
      Exposure exposure = this.exposure;
      HttpServerTracing tracing = new HttpServerTracing(telemetry, exposure::clientAddress);
      Javalin app =
          Javalin.create(
              cfg -> {
                cfg.startup.showJavalinBanner = false;
                cfg.startup.showOldJavalinVersionWarning = false;
                cfg.concurrency.useVirtualThreads = true;
                cfg.jetty.host = host;
                cfg.jetty.port = port;
                cfg.http.maxRequestSize = maxBodyBytes;
                // loopback and JSON: compressing costs more than it saves; nginx compresses in
                // production, and compression would hold back streamed (SSE) responses
                cfg.http.compressionStrategy = CompressionStrategy.NONE;
                // Javalin copies every result (ctx.json, ctx.result) into Jetty's own pooled
                // buffer through a new array of this size, 32 KiB unless set: 4 KiB gave the chat
                // path 1.04x the throughput (docs/benchmarks.md, issue 12). A bigger result takes
                // more copies, not more memory.
                cfg.http.responseBufferSize = RESULT_COPY_BYTES;
                cfg.jsonMapper(new JavalinJackson(Json.MAPPER, true));
                cfg.jetty.modifyServletContextHandler(
                    h -> {
                      h.addFilter(
                          new FilterHolder(tracing), "/*", EnumSet.of(DispatcherType.REQUEST));
                      keepNoSessions(h.getSessionHandler());
                    });
                cfg.router.handlerWrapper(
                    endpoint -> {
                      if (!endpoint.method.isHttpMethod()) {
                        return endpoint.handler;
                      }
                      String path = endpoint.path;
                      Handler inner = endpoint.handler;
                      return ctx -> {
                        HttpServerTracing.route(path);
                        inner.handle(ctx);
                      };
                    });
                errors(cfg);
                cfg.routes.get("/health/live", ctx -> ctx.json(Map.of("status", "live")));
                cfg.routes.get("/health/ready", this::ready);
                cfg.routes.get(
                    "/metrics",
                    ctx -> {
                      if (!exposure.metricsAllowed(ctx.req().getRemoteAddr())) {
                        throw HttpError.forbidden(
                            "/metrics is served to the addresses in metrics-allow only");
                      }
                      String accept = ctx.header("Accept");
                      ctx.contentType(metrics.contentType(accept));
                      metrics.write(accept, ctx.outputStream());
                    });
                routes.accept(cfg);
              });
      app.start();
      log.info("{} listening on http://{}:{}", name, host, app.port());
      return new Service(name, app);
    }

    private void ready(Context ctx) {
      Map<String, String> results = new LinkedHashMap<>();
      boolean ok = true;
      for (Map.Entry<String, Check> check : checks.entrySet()) {
        try {
          check.getValue().run();
          results.put(check.getKey(), "ok");
        } catch (Exception e) {
          ok = false;
          results.put(check.getKey(), String.valueOf(e.getMessage()));
        }
      }
      ctx.status(ok ? 200 : 503)
          .json(Map.of("status", ok ? "ready" : "not_ready", "checks", results));
    }

    private static void errors(JavalinConfig cfg) {
      cfg.routes.exception(HttpError.class, (e, ctx) -> renderError(ctx, e));
      cfg.routes.exception(
          HttpResponseException.class,
          (e, ctx) ->
              renderError(
                  ctx, new HttpError(e.getStatus(), codeFor(e.getStatus()), messageFor(e))));
      cfg.routes.exception(
          Exception.class,
          (e, ctx) -> {
            Span span = Span.current();
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
            if (DatabaseOutage.causedBy(e)) {
              DatabaseOutage.log(log, ctx.method() + " " + ctx.path(), e);
              renderError(ctx, DatabaseOutage.error());
              return;
            }
            log.error("unhandled error on {} {}", ctx.method(), ctx.path(), e);
            renderError(ctx, new HttpError(500, "internal_error", "internal error; see the trace"));
          });
      cfg.routes.error(
          404,
          ctx -> {
            if (ctx.resultInputStream() == null) {
              renderError(
                  ctx, HttpError.notFound("no route for " + ctx.method() + " " + ctx.path()));
            }
          });
      cfg.routes.error(
          405,
          ctx -> {
            if (ctx.resultInputStream() == null) {
              renderError(
                  ctx,
                  new HttpError(405, "method_not_allowed", ctx.method() + " is not allowed here"));
            }
          });
    }

    private static String codeFor(int status) {
      return switch (status) {
        case 400 -> "invalid_request";
        case 401 -> "unauthorized";
        case 403 -> "forbidden";
        case 404 -> "not_found";
        case 405 -> "method_not_allowed";
        case 413 -> "payload_too_large";
        case 415 -> "unsupported_media_type";
        case 429 -> "rate_limited";
        default -> status >= 500 ? "internal_error" : "invalid_request";
      };
    }

    private static String messageFor(HttpResponseException e) {
      return switch (e.getStatus()) {
        case 413 -> "the request body is larger than this endpoint accepts";
        default -> e.getMessage() == null ? "request failed" : e.getMessage();
      };
    }
  }
}
