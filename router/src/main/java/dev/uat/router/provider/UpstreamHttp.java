package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.router.provider.ProviderException.Kind;
import dev.uat.telemetry.TracedHttpClient;
import dev.uat.web.Json;
import dev.uat.web.Urls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * JSON over HTTP to one upstream, on the router's pooled okhttp client (calls block the calling
 * thread), with every failure turned into a {@link ProviderException} that names the provider and
 * says what happened. A kept-alive connection the upstream closed before answering is retried once
 * on a fresh one by okhttp itself. Streamed answers are read line by line under two deadlines
 * (first piece, whole call) enforced by a shared timer that closes the connection.
 */
final class UpstreamHttp {
  private static final int MAX_UPSTREAM_MESSAGE = 300;
  private static final int MAX_ERROR_BODY = 64 * 1024;

  /**
   * Largest whole (non-streamed) upstream answer read: a chat answer, an embeddings batch or a
   * model list. A larger one fails as {@code response_too_large} (502) rather than fill the heap;
   * split large embeddings batches.
   */
  public static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

  /** One daemon timer for every deadline of every stream; cancelled deadlines leave its queue. */
  private static final ScheduledThreadPoolExecutor DEADLINES = deadlines();

  private final String provider;
  private final URI base;
  private static final MediaType JSON = MediaType.get("application/json");

  private final Call.Factory client;
  private final String authorization; // null for none

  UpstreamHttp(String provider, URI base, Call.Factory client, String bearerToken) {
    this.provider = requireNonNull(provider, "provider");
    this.base = requireNonNull(base, "base");
    this.client = requireNonNull(client, "client");
    this.authorization =
        bearerToken == null || bearerToken.isBlank() ? null : "Bearer " + bearerToken;
  }

  private static ScheduledThreadPoolExecutor deadlines() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "uat-router-deadlines");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  URI base() {
    return base;
  }

  /** The base URL without trailing slashes; only http and https. */
  static URI baseUri(String url) {
    String trimmed = Urls.stripSlash(url);
    URI uri;
    try {
      uri = URI.create(trimmed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not an http(s) URL: " + url);
    }
    if (uri.getHost() == null
        || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
      throw new IllegalArgumentException("not an http(s) URL: " + url);
    }
    return uri;
  }

  <T> T get(String path, Duration timeout, Class<T> type) {
    return send(request(path).get().build(), timeout, type, false);
  }

  <T> T post(String path, Object body, Duration timeout, Class<T> type) {
    Request request = request(path).post(RequestBody.create(Json.write(body), JSON)).build();
    return send(request, timeout, type, true);
  }

  /**
   * Posts and returns the answer's lines as they arrive. Returns once the response headers came
   * (within {@code timeouts.firstToken()}); the first line must come within the same time from
   * now's start, the last within {@code timeouts.total()}.
   */
  Lines postStream(String path, Object body, Timeouts timeouts, String accept) {
    long start = System.nanoTime();
    Request request =
        request(path)
            .header("Accept", accept)
            .post(RequestBody.create(Json.write(body), JSON))
            .build();
    String what = "POST " + request.url().encodedPath();
    Call call = client.newCall(request);
    Response response;
    try {
      response = TracedHttpClient.execute(call, timeouts.firstToken());
    } catch (IOException e) {
      throw failure(e, what, timeouts.firstToken());
    }
    int status = response.code();
    if (status / 100 != 2) {
      byte[] errorBody;
      try (response;
          InputStream in = response.body().byteStream()) {
        errorBody = in.readNBytes(MAX_ERROR_BODY);
      } catch (IOException e) {
        errorBody = new byte[0];
      }
      throw statusFailure(status, what, errorBody, true, retryAfter(response));
    }
    return new Lines(call, response.body().byteStream(), what, timeouts, start);
  }

  private Request.Builder request(String path) {
    Request.Builder builder =
        new Request.Builder().url(base + path).header("Accept", "application/json");
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    return builder;
  }

  private <T> T send(Request request, Duration timeout, Class<T> type, boolean modelCall) {
    String what = request.method() + " " + request.url().encodedPath();
    int status;
    long retryAfter;
    byte[] body;
    try (Response response = TracedHttpClient.execute(client.newCall(request), timeout);
        InputStream in = response.body().byteStream()) {
      status = response.code();
      retryAfter = retryAfter(response);
      body = in.readNBytes(status / 100 == 2 ? MAX_RESPONSE_BYTES + 1 : MAX_ERROR_BODY);
    } catch (IOException e) {
      throw failure(e, what, timeout);
    }
    if (status / 100 != 2) {
      throw statusFailure(status, what, body, modelCall, retryAfter);
    }
    if (body.length > MAX_RESPONSE_BYTES) {
      throw fail(
          Kind.FAILED,
          "response_too_large",
          "answered " + what + " with more than " + MAX_RESPONSE_BYTES / (1024 * 1024) + " MiB",
          null);
    }
    try {
      return Json.MAPPER.readValue(body, type);
    } catch (JsonProcessingException e) {
      throw fail(Kind.FAILED, "invalid_response", "answered " + what + " with unreadable JSON", e);
    } catch (IOException e) {
      throw fail(Kind.FAILED, e.getClass().getName(), "answered unreadably", e);
    }
  }

  private ProviderException failure(IOException e, String what, Duration timeout) {
    if (e instanceof TracedHttpClient.ResponseTimeoutException) {
      return fail(
          Kind.TIMEOUT, "timeout", "did not answer " + what + " within " + seconds(timeout), e);
    }
    if (e instanceof SocketTimeoutException) {
      // no read timeout is set: only connecting can time out
      return fail(Kind.UNAVAILABLE, "timeout", "could not connect (timed out)", e);
    }
    if (e instanceof ConnectException) {
      return fail(
          Kind.UNAVAILABLE, e.getClass().getName(), "is not reachable (" + reason(e) + ")", e);
    }
    if (e instanceof InterruptedIOException) {
      return fail(Kind.FAILED, e.getClass().getName(), "call was interrupted", e);
    }
    return fail(
        Kind.FAILED, e.getClass().getName(), "broke off " + what + " (" + reason(e) + ")", e);
  }

  private ProviderException statusFailure(
      int status, String what, byte[] body, boolean modelCall, long retryAfter) {
    Kind kind =
        switch (status) {
          case 404 -> modelCall ? Kind.MODEL_NOT_FOUND : Kind.FAILED;
          case 400, 413, 422 -> Kind.REJECTED;
          case 429 -> Kind.RATE_LIMITED;
          default -> Kind.FAILED;
        };
    return new ProviderException(
        kind,
        provider,
        Integer.toString(status),
        provider
            + " at "
            + base
            + " answered "
            + what
            + " with HTTP "
            + status
            + upstreamMessage(body),
        null,
        retryAfter);
  }

  private static long retryAfter(Response response) {
    String v = response.header("Retry-After");
    if (v == null) {
      return -1L;
    }
    try {
      return Math.max(0, Long.parseLong(v.strip()));
    } catch (NumberFormatException e) {
      return -1L;
    }
  }

  /** A failure worded "<provider> at <base> <what happened>". */
  ProviderException fail(Kind kind, String errorType, String happened, Throwable cause) {
    return new ProviderException(
        kind, provider, errorType, provider + " at " + base + " " + happened, cause);
  }

  /** ": <the upstream's own error message>", from Ollama's or OpenAI's error shape, or text. */
  static String upstreamMessage(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    String message;
    try {
      JsonNode json = Json.MAPPER.readTree(body);
      message = errorMessage(json);
      if (message == null) {
        message = new String(body, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      message = new String(body, StandardCharsets.UTF_8);
    }
    message = message.strip().replaceAll("\\s+", " ");
    if (message.length() > MAX_UPSTREAM_MESSAGE) {
      message = message.substring(0, MAX_UPSTREAM_MESSAGE) + "…";
    }
    return message.isEmpty() ? "" : ": " + message;
  }

  /** The message of Ollama's {@code {"error":"…"}} or OpenAI's {@code {"error":{"message"}}}. */
  static String errorMessage(JsonNode json) {
    JsonNode error = json == null ? null : json.get("error");
    if (error != null && error.isTextual()) {
      return error.asText();
    }
    if (error != null && error.path("message").isTextual()) {
      return error.path("message").asText();
    }
    return null;
  }

  /** The most specific message in a cause chain; JDK connect errors often have none on top. */
  static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
  }

  static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /**
   * The lines of a streamed answer. A timer cancels the call (closing its socket) when the first
   * piece or the whole answer is late; the reader then fails with {@link Kind#TIMEOUT}. Closing
   * after the end of the answer gives the connection back to the pool (okhttp reads the rest of the
   * body for up to 100 ms, else drops the connection). Not thread-safe except {@link #close()}.
   */
  final class Lines implements AutoCloseable {
    private final Call call;
    private final InputStream in;
    private final BufferedReader reader;
    private final String what;
    private final Timeouts timeouts;
    private volatile String timedOut; // null, or which deadline passed
    private ScheduledFuture<?> firstDeadline;
    private final ScheduledFuture<?> totalDeadline;
    private volatile boolean closed;

    private Lines(Call call, InputStream in, String what, Timeouts timeouts, long startNanos) {
      this.call = call;
      this.in = in;
      this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 8192);
      this.what = what;
      this.timeouts = timeouts;
      long elapsed = System.nanoTime() - startNanos;
      this.firstDeadline =
          DEADLINES.schedule(
              () -> expire("first token"),
              Math.max(0, timeouts.firstToken().toNanos() - elapsed),
              TimeUnit.NANOSECONDS);
      this.totalDeadline =
          DEADLINES.schedule(
              () -> expire("total"),
              Math.max(0, timeouts.total().toNanos() - elapsed),
              TimeUnit.NANOSECONDS);
    }

    private void expire(String which) {
      timedOut = which;
      call.cancel(); // closes the socket: a read blocked on it fails at once
      closeQuietly();
    }

    /** The first piece arrived: only the total deadline is left. */
    void firstPieceArrived() {
      ScheduledFuture<?> first = firstDeadline;
      if (first != null) {
        first.cancel(false);
        firstDeadline = null;
      }
    }

    /**
     * The next line, or null at the end of the answer.
     *
     * @throws ProviderException on a deadline or a broken connection
     */
    String readLine() {
      String line;
      try {
        line = reader.readLine();
      } catch (IOException e) {
        throw broken(e);
      }
      if (timedOut != null) {
        throw broken(null); // a line cut short by the deadline is not a line
      }
      return line;
    }

    private ProviderException broken(IOException e) {
      String which = timedOut;
      if (which != null) {
        Duration limit = which.equals("total") ? timeouts.total() : timeouts.firstToken();
        return fail(
            Kind.TIMEOUT,
            "timeout",
            (which.equals("total") ? "did not finish " : "sent no first token for ")
                + what
                + " within "
                + seconds(limit),
            e);
      }
      if (closed) {
        return fail(Kind.FAILED, "cancelled", "call was cancelled", e);
      }
      return fail(
          Kind.FAILED,
          e == null ? "incomplete_response" : e.getClass().getName(),
          "broke off " + what + " (" + (e == null ? "connection closed" : reason(e)) + ")",
          e);
    }

    /** A failure that names this upstream. */
    ProviderException fail(Kind kind, String errorType, String happened, Throwable cause) {
      return UpstreamHttp.this.fail(kind, errorType, happened, cause);
    }

    @Override
    public void close() {
      ScheduledFuture<?> first = firstDeadline;
      if (first != null) {
        first.cancel(false);
      }
      totalDeadline.cancel(false);
      closeQuietly();
    }

    private void closeQuietly() {
      closed = true;
      try {
        in.close();
      } catch (IOException | RuntimeException e) {
        // nothing to do: the connection is gone either way
      }
    }
  }
}
