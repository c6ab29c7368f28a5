package dev.uat.telemetry;

import io.opentelemetry.instrumentation.javahttpclient.JavaHttpClientTelemetry;
import io.opentelemetry.instrumentation.okhttp.v3_0.OkHttpTelemetry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;

/**
 * The HTTP clients of the components, traced by the OpenTelemetry instrumentation libraries: a
 * CLIENT span per request (named after the method, with {@code http.request.method}, {@code
 * server.address}, {@code server.port}, {@code url.full}, {@code http.response.status_code}, status
 * ERROR on a failure), {@code traceparent} and {@code baggage} injected through the propagator.
 *
 * <p>{@link #create} is the one the request path uses: okhttp called synchronously on the caller's
 * (virtual) thread, over a pool of kept-alive HTTP/1.1 connections. It measured cheaper than the
 * JDK client on loopback (see {@code telemetry/RATIONALE.md}). {@link #jdk} keeps the JDK client
 * for the cold paths that still use it.
 */
public final class TracedHttpClient {
  /** Connect timeout of every client made here; components add request timeouts. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** Idle connections kept per client; more than the 16+ concurrent loopback callers. */
  static final int MAX_IDLE_CONNECTIONS = 64;

  /**
   * How long an idle connection is kept. Below Jetty's default idle timeout (30 s), so that the
   * server seldom closes a connection just as it is reused (okhttp retries that case once anyway).
   */
  static final Duration KEEP_ALIVE = Duration.ofSeconds(25);

  /** One daemon timer for every response deadline; cancelled deadlines leave its queue. */
  private static final ScheduledThreadPoolExecutor DEADLINES = deadlines();

  private TracedHttpClient() {}

  /**
   * A traced okhttp client for one component, with its own connection pool: HTTP/1.1 only (no h2c
   * upgrade on plain HTTP), no redirects followed, no read, write or call timeouts (the caller sets
   * its deadline with {@link #execute}), connect timeout {@link #CONNECT_TIMEOUT}. Thread-safe; its
   * calls block the calling thread, which should be a virtual thread.
   */
  public static Call.Factory create(Telemetry telemetry) {
    return create(telemetry, CONNECT_TIMEOUT);
  }

  /** As {@link #create(Telemetry)}, with another connect timeout. */
  public static Call.Factory create(Telemetry telemetry, Duration connectTimeout) {
    OkHttpClient plain =
        new OkHttpClient.Builder()
            .protocols(List.of(Protocol.HTTP_1_1))
            .connectTimeout(connectTimeout)
            .readTimeout(Duration.ZERO)
            .writeTimeout(Duration.ZERO)
            .callTimeout(Duration.ZERO)
            .followRedirects(false)
            .followSslRedirects(false)
            .retryOnConnectionFailure(true)
            .connectionPool(
                new ConnectionPool(
                    MAX_IDLE_CONNECTIONS, KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS))
            .build();
    return OkHttpTelemetry.create(telemetry.openTelemetry()).newCallFactory(plain);
  }

  /**
   * A traced JDK {@link HttpClient} (HTTP/1.1, virtual-thread executor), for the cold paths that
   * have not moved to {@link #create}.
   */
  public static HttpClient jdk(Telemetry telemetry) {
    HttpClient plain =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    return JavaHttpClientTelemetry.create(telemetry.openTelemetry()).newHttpClient(plain);
  }

  /**
   * Executes the call on this thread and returns once the response headers came, like the JDK
   * client's request timeout: when they have not come within {@code timeout} the call is cancelled
   * and {@link ResponseTimeoutException} thrown. The body is then read without a deadline; the
   * caller closes the response.
   *
   * @throws ResponseTimeoutException when no response came within {@code timeout}
   * @throws java.net.ConnectException when the server refused the connection
   * @throws java.net.SocketTimeoutException when the connection could not be made within the
   *     connect timeout
   * @throws IOException on any other failure
   */
  public static Response execute(Call call, Duration timeout) throws IOException {
    Deadline deadline = new Deadline(call);
    ScheduledFuture<?> timer =
        DEADLINES.schedule(deadline, timeout.toNanos(), TimeUnit.NANOSECONDS);
    Response response;
    try {
      response = call.execute();
    } catch (IOException e) {
      if (deadline.passed(timer)) {
        throw new ResponseTimeoutException(timeout, e);
      }
      throw e;
    }
    if (deadline.passed(timer)) {
      response.close();
      throw new ResponseTimeoutException(timeout, null);
    }
    return response;
  }

  /**
   * Cancels its call at the deadline unless the caller settled first: of the timer and the caller,
   * exactly one wins. ({@code ScheduledFuture.cancel} cannot decide it: it still succeeds while the
   * timer's task runs, after the task has closed the call's socket and the caller has seen that as
   * a plain {@code SocketException}.)
   */
  private static final class Deadline implements Runnable {
    private final Call call;
    private final AtomicBoolean settled = new AtomicBoolean();

    Deadline(Call call) {
      this.call = call;
    }

    @Override
    public void run() {
      if (settled.compareAndSet(false, true)) {
        call.cancel();
      }
    }

    /** Settles for the caller: true when the deadline had already passed and cancelled the call. */
    boolean passed(ScheduledFuture<?> timer) {
      timer.cancel(false);
      return !settled.compareAndSet(false, true);
    }
  }

  /** No response came within the call's deadline; the call was cancelled. */
  public static final class ResponseTimeoutException extends InterruptedIOException {
    private final Duration timeout;

    ResponseTimeoutException(Duration timeout, Throwable cause) {
      super("no response within " + timeout.toMillis() + " ms");
      this.timeout = timeout;
      initCause(cause);
    }

    /** The deadline that passed. */
    public Duration timeout() {
      return timeout;
    }
  }

  private static ScheduledThreadPoolExecutor deadlines() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "uat-http-deadlines");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }
}
