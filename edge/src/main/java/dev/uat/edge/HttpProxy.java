package dev.uat.edge;

import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import dev.uat.web.BoundedBody;
import dev.uat.web.HttpError;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Passes a request to an upstream service and its response back, streaming the response body as it
 * arrives (so Server-Sent Events flow through). The upstream call is a traced CLIENT span that
 * carries the trace on in {@code traceparent}.
 *
 * <p>The request target is re-encoded by {@link ForwardTarget} (4xx for what cannot be forwarded),
 * the body read and decoded by {@link BodyReader} (held to the body limit and the in-flight budget,
 * forwarded without {@code Content-Encoding}), and the forwarding headers set by {@link
 * Forwarding}. Upstream failures are 502 or 504 JSON errors. Thread-safe: one instance serves all
 * requests.
 */
final class HttpProxy {
  /** Headers that belong to one hop, or that the JDK client sets itself. */
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-authenticate",
          "proxy-authorization",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "host",
          "content-length",
          // the body goes on decoded
          "content-encoding",
          "expect",
          "http2-settings",
          // the trace goes on in the client span's own context
          "traceparent",
          "tracestate",
          "baggage");

  private static final Set<String> NOT_RETURNED =
      Set.of(
          "connection",
          "keep-alive",
          "transfer-encoding",
          "te",
          "trailer",
          "upgrade",
          "proxy-connection",
          "date",
          "server",
          // the edge answers with its own (same trace, the edge's span)
          "traceresponse",
          "x-trace-id",
          ":status");

  private final HttpClient http;
  private final Duration timeout;
  private final ForwardTarget targets;
  private final BodyReader bodies;
  private final Forwarding forwarding;

  HttpProxy(
      Telemetry telemetry,
      Duration timeout,
      ForwardTarget targets,
      BodyReader bodies,
      Forwarding forwarding) {
    this.http = TracedHttpClient.create(telemetry);
    this.timeout = timeout;
    this.targets = targets;
    this.bodies = bodies;
    this.forwarding = forwarding;
  }

  void forward(Context ctx, String upstreamBase) throws IOException {
    HttpServletRequest req = ctx.req();
    URI target;
    try {
      target = targets.uri(upstreamBase, req.getRequestURI(), req.getQueryString());
    } catch (HttpError e) {
      BoundedBody.drain(req); // so that a client still writing its body reads the refusal
      throw e;
    }
    try (BoundedBody body = bodies.read(req)) {
      forward(ctx, target, body);
    }
  }

  private void forward(Context ctx, URI target, BoundedBody body) throws IOException {
    HttpServletRequest req = ctx.req();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(target).timeout(timeout).method(req.getMethod(), body.publisher());
    for (String name : Collections.list(req.getHeaderNames())) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!NOT_FORWARDED.contains(lower) && !Forwarding.HEADERS.contains(lower)) {
        for (String value : Collections.list(req.getHeaders(name))) {
          request.header(name, value);
        }
      }
    }
    forwarding.headers(req).forEach(request::setHeader);

    HttpResponse<InputStream> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw new HttpError(504, "upstream_timeout", "the upstream service did not answer in time");
    } catch (ConnectException e) {
      throw HttpError.badGateway("upstream_unavailable", "the upstream service is not reachable");
    } catch (IOException e) {
      throw HttpError.badGateway("upstream_error", "the upstream call failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw HttpError.unavailable("interrupted", "the request was interrupted");
    }

    ctx.status(response.statusCode());
    for (Map.Entry<String, List<String>> h : response.headers().map().entrySet()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (name.equals("content-type")) {
        ctx.contentType(h.getValue().getFirst());
      } else if (!NOT_RETURNED.contains(name)) {
        for (String value : h.getValue()) {
          ctx.res().addHeader(h.getKey(), value);
        }
      }
    }
    try (InputStream in = response.body()) {
      OutputStream out = ctx.res().getOutputStream();
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) != -1) {
        out.write(buffer, 0, n);
        if (in.available() == 0) {
          out.flush(); // nothing more buffered: let what we have reach the client (SSE)
        }
      }
      out.flush();
    }
  }
}
