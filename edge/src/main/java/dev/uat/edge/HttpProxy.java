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
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Set;
import okhttp3.Call;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import okio.Okio;

/**
 * Passes a request to an upstream service and its response back, streaming the response body as it
 * arrives (so Server-Sent Events flow through), on the edge's pooled okhttp client (the call blocks
 * the request's virtual thread). The upstream call is a traced CLIENT span that carries the trace
 * on in {@code traceparent}.
 *
 * <p>The request target is re-encoded by {@link ForwardTarget} (4xx for what cannot be forwarded),
 * the body read and decoded by {@link BodyReader} (held to the body limit and the in-flight budget,
 * forwarded without {@code Content-Encoding}), and the forwarding headers set by {@link
 * Forwarding}. Upstream failures are 502 or 504 JSON errors. Thread-safe: one instance serves all
 * requests.
 */
final class HttpProxy {
  /** Headers that belong to one hop, or that the HTTP client sets itself. */
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

  private static final RequestBody EMPTY = RequestBody.create(new byte[0], null);

  private final Call.Factory http;
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
    Request.Builder request =
        new Request.Builder().url(HttpUrl.get(target)).method(req.getMethod(), body(req, body));
    // values pass as Jetty read them, non-ASCII bytes included (okhttp's checked add would throw
    // on them: a 500 for a client's odd header); Jetty has already refused control characters
    okhttp3.Headers.Builder forwarded = new okhttp3.Headers.Builder();
    for (String name : Collections.list(req.getHeaderNames())) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!NOT_FORWARDED.contains(lower) && !Forwarding.HEADERS.contains(lower)) {
        for (String value : Collections.list(req.getHeaders(name))) {
          forwarded.addUnsafeNonAscii(name, value);
        }
      }
    }
    forwarding.headers(req).forEach(forwarded::set);
    request.headers(forwarded.build());

    Response response;
    try {
      response = TracedHttpClient.execute(http.newCall(request.build()), timeout);
    } catch (TracedHttpClient.ResponseTimeoutException | SocketTimeoutException e) {
      throw new HttpError(504, "upstream_timeout", "the upstream service did not answer in time");
    } catch (ConnectException e) {
      throw HttpError.badGateway("upstream_unavailable", "the upstream service is not reachable");
    } catch (IOException e) {
      throw HttpError.badGateway("upstream_error", "the upstream call failed: " + e.getMessage());
    }

    try (response;
        InputStream in = response.body().byteStream()) {
      ctx.status(response.code());
      Headers headers = response.headers();
      for (int i = 0, n = headers.size(); i < n; i++) {
        String name = headers.name(i);
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals("content-type")) {
          ctx.contentType(headers.value(i));
        } else if (!NOT_RETURNED.contains(lower)) {
          ctx.res().addHeader(name, headers.value(i));
        }
      }
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

  /**
   * The request body okhttp sends: the client's bytes with their length, streamed from the chunks
   * they were read into; none for a method that takes none. The {@code Content-Type} goes on as a
   * header, untouched.
   */
  private static RequestBody body(HttpServletRequest req, BoundedBody body) {
    String method = req.getMethod();
    if (body.length() == 0) {
      return switch (method) {
        case "POST", "PUT", "PATCH" -> EMPTY; // okhttp sends these with a body, even empty
        default -> null;
      };
    }
    if (method.equals("GET") || method.equals("HEAD")) { // okhttp sends these without one
      throw HttpError.badRequest("body_not_allowed", method + " requests carry no body here");
    }
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return null;
      }

      @Override
      public long contentLength() {
        return body.length();
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        try (InputStream in = body.stream()) {
          sink.writeAll(Okio.source(in));
        }
      }
    };
  }
}
