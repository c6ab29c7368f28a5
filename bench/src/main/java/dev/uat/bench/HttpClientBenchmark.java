package dev.uat.bench;

import io.javalin.Javalin;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.instrumentation.javahttpclient.JavaHttpClientTelemetry;
import io.opentelemetry.instrumentation.okhttp.v3_0.OkHttpTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.InputStreamResponseListener;

/**
 * The internal HTTP client, measured (issue 12): a small JSON POST (~300 B → ~400 B) and a small
 * Server-Sent Events stream (15 chunks) against a Javalin/Jetty server on 127.0.0.1 in this JVM, at
 * 1 and 16 concurrent callers (virtual threads), for
 *
 * <ul>
 *   <li>{@code jdk-traced} — the JDK {@link HttpClient} as {@code TracedHttpClient} made it before
 *       issue 12 (HTTP/1.1, virtual-thread executor, wrapped by opentelemetry-java-http-client);
 *   <li>{@code okhttp-traced} — okhttp 5 synchronous calls on the caller's (virtual) thread,
 *       wrapped by opentelemetry-okhttp-3.0, as {@code TracedHttpClient} makes it now;
 *   <li>{@code jdk}, {@code okhttp}, {@code jetty} — the same clients untraced, and Jetty's {@code
 *       HttpClient} 12.1 (blocking {@code send} / {@link InputStreamResponseListener}).
 * </ul>
 *
 * <p>Clients run in alternating rounds in one JVM (the order rotates each round); the report gives,
 * per client and case, the median over rounds of the p50 and p99 latency, of the process CPU time
 * per request and of the heap allocated per request by every thread (server included: the same
 * server serves every client, so differences are the client's), and the ratio to {@code
 * jdk-traced}. Tracing exports through a batch processor to an exporter that drops the spans.
 *
 * <p>Run (after {@code ./mvnw -q -B package -pl bench -am -DskipTests}):
 *
 * <pre>
 * java -cp 'bench/target/classes:bench/target/lib/*' dev.uat.bench.HttpClientBenchmark \
 *     [rounds=7] [requestsPerCase=2000] [clients=jdk-traced,okhttp-traced,jdk,okhttp,jetty]
 * </pre>
 *
 * <p>Naming one client (e.g. with {@code -XX:StartFlightRecording=settings=profile,filename=x.jfr})
 * profiles it alone; ratios are then to the first client named.
 */
public final class HttpClientBenchmark {
  private static final byte[] REQUEST =
      ("{\"model\":\"echo/echo-1\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a"
              + " helpful assistant.\"},{\"role\":\"user\",\"content\":\"Summarize the benefits of"
              + " distributed tracing for a small team running three services on one"
              + " machine, in two sentences please.\"}],\"stream\":false,\"temperature\":0.2,"
              + "\"max_tokens\":128,\"user\":\"bench\"}")
          .getBytes(StandardCharsets.UTF_8);
  private static final String ANSWER =
      "{\"id\":\"chatcmpl-0123456789abcdef\",\"object\":\"chat.completion\",\"created\":1767225600,"
          + "\"model\":\"echo-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
          + "\"content\":\"Distributed tracing shows where each request spends its time across"
          + " services, so a small team finds slow hops and failures quickly. It ties logs,"
          + " metrics and errors to one request.\"},\"finish_reason\":\"stop\"}],\"usage\":"
          + "{\"prompt_tokens\":42,\"completion_tokens\":38,\"total_tokens\":80}}";
  private static final int CHUNKS = 15;

  private interface Client extends AutoCloseable {
    /** Posts the request and reads the whole answer; returns its length. */
    int post(URI uri) throws Exception;

    /** Posts and reads the SSE answer line by line; returns the number of data lines. */
    int stream(URI uri) throws Exception;

    @Override
    default void close() throws Exception {}
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    int requests = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    List<String> only = args.length > 2 ? List.of(args[2].split(",")) : null;

    Javalin server = server();
    URI post = URI.create("http://127.0.0.1:" + server.port() + "/chat");
    URI sse = URI.create("http://127.0.0.1:" + server.port() + "/stream");

    OpenTelemetrySdk otel = tracing();
    Map<String, Client> clients = new LinkedHashMap<>();
    clients.put("jdk-traced", jdk(JavaHttpClientTelemetry.create(otel)));
    clients.put("okhttp-traced", okhttp(otel));
    clients.put("jdk", jdk(null));
    clients.put("okhttp", okhttp(null));
    clients.put("jetty", jetty());
    if (only != null) {
      clients.keySet().retainAll(only);
    }

    String[] cases = {"post c=1", "post c=16", "sse c=1", "sse c=16"};
    Map<String, Map<String, List<double[]>>> results = new LinkedHashMap<>();
    for (String name : clients.keySet()) {
      Map<String, List<double[]>> perCase = new LinkedHashMap<>();
      for (String c : cases) {
        perCase.put(c, new ArrayList<>());
      }
      results.put(name, perCase);
    }
    // warm-up: every client, every case
    for (Client client : clients.values()) {
      for (String c : cases) {
        run(client, c, post, sse, Math.max(200, requests / 4));
      }
    }
    List<String> names = new ArrayList<>(clients.keySet());
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < names.size(); i++) {
        String name = names.get((i + round) % names.size());
        for (String c : cases) {
          results.get(name).get(c).add(run(clients.get(name), c, post, sse, requests));
        }
      }
      System.err.println("round " + (round + 1) + "/" + rounds + " done");
    }

    System.out.printf(
        "%n%d rounds x %d requests per case; medians over rounds; ratio = / the first client%n",
        rounds, requests);
    System.out.printf(
        "%-10s %-14s %9s %9s %11s %13s %8s %8s %8s%n",
        "case",
        "client",
        "p50 µs",
        "p99 µs",
        "CPU µs/req",
        "alloc KB/req",
        "p50 ×",
        "CPU ×",
        "alloc ×");
    for (String c : cases) {
      String baseline = clients.containsKey("jdk-traced") ? "jdk-traced" : names.getFirst();
      double[] base = medians(results.get(baseline).get(c));
      for (String name : names) {
        double[] m = medians(results.get(name).get(c));
        System.out.printf(
            Locale.ROOT,
            "%-10s %-14s %9.0f %9.0f %11.1f %13.1f %8.2f %8.2f %8.2f%n",
            c,
            name,
            m[0],
            m[1],
            m[2],
            m[3],
            m[0] / base[0],
            m[2] / base[2],
            m[3] / base[3]);
      }
    }
    for (Client client : clients.values()) {
      client.close();
    }
    otel.close();
    server.stop();
  }

  /** p50 µs, p99 µs, CPU µs per request, KB allocated per request. */
  private static double[] run(Client client, String c, URI post, URI sse, int requests)
      throws Exception {
    boolean stream = c.startsWith("sse");
    int callers = c.endsWith("=16") ? 16 : 1;
    int perCaller = requests / callers;
    long[][] latencies = new long[callers][perCaller];
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long alloc0 = threads.getTotalThreadAllocatedBytes();
    long cpu0 = os.getProcessCpuTime();
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < callers; t++) {
        long[] mine = latencies[t];
        futures.add(
            executor.submit(
                () -> {
                  for (int i = 0; i < perCaller; i++) {
                    long start = System.nanoTime();
                    int got = stream ? client.stream(sse) : client.post(post);
                    mine[i] = System.nanoTime() - start;
                    if (got != (stream ? CHUNKS + 1 : ANSWER.length())) {
                      throw new IllegalStateException("unexpected answer size " + got);
                    }
                  }
                  return null;
                }));
      }
      for (var f : futures) {
        f.get();
      }
    }
    long cpu = os.getProcessCpuTime() - cpu0;
    long alloc = threads.getTotalThreadAllocatedBytes() - alloc0;
    long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
    int n = all.length;
    return new double[] {
      all[n / 2] / 1e3, all[(int) (n * 0.99)] / 1e3, cpu / 1e3 / n, alloc / 1024.0 / n
    };
  }

  private static double[] medians(List<double[]> rounds) {
    double[] m = new double[4];
    for (int k = 0; k < 4; k++) {
      int kk = k;
      double[] v = rounds.stream().mapToDouble(r -> r[kk]).sorted().toArray();
      m[k] = v[v.length / 2];
    }
    return m;
  }

  private static Javalin server() {
    byte[] answer = ANSWER.getBytes(StandardCharsets.UTF_8);
    return Javalin.create(
            cfg -> {
              cfg.concurrency.useVirtualThreads = true;
              cfg.startup.showJavalinBanner = false;
              cfg.jetty.host = "127.0.0.1";
              cfg.jetty.port = 0;
              cfg.routes.post(
                  "/chat",
                  ctx -> {
                    ctx.bodyAsBytes();
                    ctx.contentType("application/json").result(answer);
                  });
              cfg.routes.post(
                  "/stream",
                  ctx -> {
                    ctx.bodyAsBytes();
                    ctx.contentType("text/event-stream");
                    ctx.res().setHeader("Cache-Control", "no-cache");
                    OutputStream out = ctx.res().getOutputStream();
                    for (int i = 0; i < CHUNKS; i++) {
                      out.write(
                          ("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
                                  + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word"
                                  + i
                                  + " \"}}]}\n\n")
                              .getBytes(StandardCharsets.UTF_8));
                      out.flush();
                    }
                    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                  });
            })
        .start();
  }

  private static OpenTelemetrySdk tracing() {
    SpanExporter drop =
        new SpanExporter() {
          @Override
          public CompletableResultCode export(Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SdkTracerProvider.builder()
                .addSpanProcessor(BatchSpanProcessor.builder(drop).setMaxQueueSize(32_768).build())
                .build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  private static int lines(InputStream body) throws Exception {
    int data = 0;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("data:")) {
          data++;
        }
      }
    }
    return data;
  }

  private static Client jdk(JavaHttpClientTelemetry telemetry) {
    HttpClient plain =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    HttpClient http = telemetry == null ? plain : telemetry.newHttpClient(plain);
    return new Client() {
      @Override
      public int post(URI uri) throws Exception {
        HttpRequest request =
            HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(REQUEST))
                .build();
        HttpResponse<InputStream> response =
            http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
          return in.readAllBytes().length;
        }
      }

      @Override
      public int stream(URI uri) throws Exception {
        HttpRequest request =
            HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(REQUEST))
                .build();
        return lines(http.send(request, HttpResponse.BodyHandlers.ofInputStream()).body());
      }

      @Override
      public void close() {
        http.close();
      }
    };
  }

  private static Client okhttp(OpenTelemetry otel) {
    OkHttpClient plain =
        new OkHttpClient.Builder()
            .protocols(List.of(Protocol.HTTP_1_1))
            .connectTimeout(Duration.ofSeconds(5))
            .readTimeout(Duration.ZERO)
            .followRedirects(false)
            .retryOnConnectionFailure(true)
            .connectionPool(new ConnectionPool(32, 5, TimeUnit.MINUTES))
            .build();
    Call.Factory calls = otel == null ? plain : OkHttpTelemetry.create(otel).newCallFactory(plain);
    MediaType json = MediaType.get("application/json");
    return new Client() {
      @Override
      public int post(URI uri) throws Exception {
        Request request =
            new Request.Builder()
                .url(uri.toString())
                .post(RequestBody.create(REQUEST, json))
                .build();
        Call call = calls.newCall(request);
        call.timeout().timeout(30, TimeUnit.SECONDS);
        try (Response response = call.execute()) {
          return response.body().bytes().length;
        }
      }

      @Override
      public int stream(URI uri) throws Exception {
        Request request =
            new Request.Builder()
                .url(uri.toString())
                .header("Accept", "text/event-stream")
                .post(RequestBody.create(REQUEST, json))
                .build();
        try (Response response = calls.newCall(request).execute()) {
          return lines(response.body().byteStream());
        }
      }

      @Override
      public void close() {
        plain.dispatcher().executorService().shutdown();
        plain.connectionPool().evictAll();
      }
    };
  }

  private static Client jetty() throws Exception {
    org.eclipse.jetty.client.HttpClient http = new org.eclipse.jetty.client.HttpClient();
    http.setConnectTimeout(5000);
    http.setFollowRedirects(false);
    http.setMaxConnectionsPerDestination(32);
    http.start();
    return new Client() {
      @Override
      public int post(URI uri) throws Exception {
        ContentResponse response =
            http.newRequest(uri)
                .method("POST")
                .timeout(30, TimeUnit.SECONDS)
                .body(new BytesRequestContent("application/json", REQUEST))
                .send();
        return response.getContent().length;
      }

      @Override
      public int stream(URI uri) throws Exception {
        InputStreamResponseListener listener = new InputStreamResponseListener();
        http.newRequest(uri)
            .method("POST")
            .headers(h -> h.put("Accept", "text/event-stream"))
            .body(new BytesRequestContent("application/json", REQUEST))
            .send(listener);
        listener.get(30, TimeUnit.SECONDS);
        return lines(listener.getInputStream());
      }

      @Override
      public void close() throws Exception {
        http.stop();
      }
    };
  }
}
