package dev.uat.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.uat.web.WsClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * issue 10's "done means", run for real: {@code deploy/local/run} starts PostgreSQL, Redis, the
 * observatory, 2 api, 2 router, 2 realtime and a web edge as separate JVMs behind the real nginx
 * with the shipped config (ports moved by its documented variables), Prometheus with the shipped
 * rules and Alertmanager with the shipped routing; this test drives it through nginx.
 *
 * <p>Alert timing is compressed for the test ({@code UAT_LOCAL_ALERT_FOR=5s}: every rule's {@code
 * for:} and Alertmanager's group waits; scrape and evaluation every second). The expressions,
 * labels and routes are the shipped ones; promtool's unit tests check the real {@code for:}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DistributedDeploymentTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String PASSWORD = "a long password";

  @TempDir static Path tmp;
  static LocalDeployment d;
  static FakeProvider provider;
  static Webhook webhook;
  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static String token;

  @BeforeAll
  @Timeout(420)
  static void start() throws Exception {
    Tools.require("nginx", "nginx", "/usr/sbin/nginx");
    Tools.require("redis-server", "redis-server");
    Tools.require("prometheus", "prometheus");
    Tools.require("alertmanager", "prometheus-alertmanager", "alertmanager");
    Tools.require("envsubst", "envsubst");
    Tools.require("curl", "curl");
    boolean postgres;
    try (Stream<Path> s = Files.list(Path.of("/usr/lib/postgresql"))) {
      postgres = s.anyMatch(p -> Files.isExecutable(p.resolve("bin/initdb")));
    } catch (java.io.IOException e) {
      postgres = Tools.find("initdb") != null;
    }
    if (!postgres) {
      Tools.require("PostgreSQL (Debian's postgresql)", "initdb");
    }
    provider = new FakeProvider();
    webhook = new Webhook();
    Path routerConfig = tmp.resolve("router.yaml");
    Files.writeString(
        routerConfig,
        """
        providers:
          - name: echo
            kind: echo
          - name: slow
            kind: openai
            url: %s
            cache: true
            timeouts: {connect: 5s, first_token: 30s, total: 60s}
        aliases:
          slow: [slow/slow-model]
          flaky: [slow/flaky-model, echo/echo]
        default_model: echo
        routing:
          discovery_interval: 5s
        """
            .formatted(provider.url()));
    d = new LocalDeployment(tmp.resolve("state"));
    d.env.put("UAT_ROUTER_CONFIG", routerConfig.toString());
    d.env.put("UAT_LOCAL_SCRAPE_INTERVAL", "1s");
    d.env.put("UAT_LOCAL_ALERT_FOR", "5s");
    d.env.put("UAT_LOCAL_WEBHOOK_URL", webhook.url());
    d.start(Duration.ofSeconds(400));
    token = login("dist@example.com");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (d != null) {
        d.close();
      }
    } finally {
      if (provider != null) {
        provider.close();
      }
      if (webhook != null) {
        webhook.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  @Timeout(120)
  void chatThroughNginxIsOneTraceAndReachesSubscribersOnBothRealtimeInstances() throws Exception {
    String edge = d.url("EDGE");
    String conversation = conversation("two instances");
    List<WsClient> sockets = new ArrayList<>();
    try {
      // connect through nginx until one subscriber sits on each realtime instance
      Map<String, WsClient> byInstance = new HashMap<>();
      for (int i = 0; i < 6 && byInstance.size() < 2; i++) {
        Map<String, Double> before = connections();
        WsClient ws = subscriber(conversation);
        sockets.add(ws);
        String instance =
            await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> grew(before, connections()), java.util.Objects::nonNull);
        byInstance.putIfAbsent(instance, ws);
      }
      assertThat(byInstance).as("a subscriber on each realtime instance").hasSize(2);

      // the client's own trace context passes through nginx untouched
      String traceId = hex(16);
      String clientSpan = hex(8);
      HttpResponse<String> chat =
          send(
              HttpRequest.newBuilder(URI.create(edge + "/api/chat"))
                  .header("Authorization", "Bearer " + token)
                  .header("traceparent", "00-" + traceId + "-" + clientSpan + "-01")
                  .header("tracestate", "uat=it")
                  .header("baggage", "it.case=nginx")
                  .POST(
                      body(
                          "{\"conversation_id\":\""
                              + conversation
                              + "\",\"message\":\"Hello, distributed platform\"}")));
      assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
      JsonNode answer = JSON.readTree(chat.body());
      assertThat(answer.get("trace_id").asText()).isEqualTo(traceId);
      assertThat(chat.headers().firstValue("X-Request-Id")).isPresent();

      for (Map.Entry<String, WsClient> e : byInstance.entrySet()) {
        JsonNode event;
        do {
          event = e.getValue().next("event");
          // acknowledged, as the web client does: the delivery latency on the realtime dashboard
          e.getValue()
              .send(
                  "{\"type\":\"ack\",\"channel\":\""
                      + event.get("channel").asText()
                      + "\",\"offset\":"
                      + event.path("offset").asLong()
                      + "}");
        } while (!event.at("/data/message/role").asText().equals("assistant"));
        assertThat(event.get("event").asText()).as(e.getKey()).isEqualTo("message.created");
        assertThat(event.at("/data/message/content").asText())
            .isEqualTo(answer.at("/message/content").asText());
        assertThat(event.get("traceparent").asText()).startsWith("00-" + traceId + "-");
      }

      // one whole trace across the processes: every span's parent is in it, but the api's server
      // span, whose parent is the client's span that came through nginx
      JsonNode trace =
          await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(250))
              .ignoreExceptions()
              .until(
                  () -> trace(traceId),
                  t ->
                      t != null
                          && services(t)
                              .containsAll(Set.of("uat-api", "uat-router", "uat-realtime"))
                          && count(t, "chat echo") == 1
                          && consumerProcesses(t) >= 2
                          && orphans(t).size() == 1);
      JsonNode root = orphans(trace).get(0);
      assertThat(root.get("operationName").asText()).isEqualTo("POST /api/chat");
      assertThat(root.at("/references/0/spanID").asText()).isEqualTo(clientSpan);
      assertThat(services(trace)).contains("uat-api", "uat-router", "uat-realtime");

      // the access log: JSON, with the request id and the trace id the api used
      JsonNode logged =
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> accessLog("/api/chat", traceId), java.util.Objects::nonNull);
      assertThat(logged.get("client_trace_id").asText()).isEqualTo(traceId);
      assertThat(logged.get("request_id").asText()).hasSize(32);
      assertThat(logged.get("status").asInt()).isEqualTo(200);
    } finally {
      sockets.forEach(WsClient::close);
    }
  }

  @Test
  @Order(2)
  @Timeout(120)
  void prometheusScrapesEveryInstanceWithTheShippedRules() throws Exception {
    JsonNode targets =
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(
                () -> prometheus("/api/v1/targets?state=active").at("/data/activeTargets"),
                t -> upTargets(t).size() == 8);
    assertThat(upTargets(targets))
        .containsExactlyInAnyOrder(
            "uat-api " + d.ports.get("API1"),
            "uat-api " + d.ports.get("API2"),
            "uat-router " + d.ports.get("ROUTER1"),
            "uat-router " + d.ports.get("ROUTER2"),
            "uat-realtime " + d.ports.get("REALTIME1"),
            "uat-realtime " + d.ports.get("REALTIME2"),
            "uat-observatory " + d.ports.get("OBSERVATORY"),
            "uat-edge " + d.ports.get("WEB"));
    // the shipped groups are loaded and every rule evaluates without error
    JsonNode groups =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> prometheus("/api/v1/rules").at("/data/groups"),
                g -> {
                  for (JsonNode group : g) {
                    for (JsonNode r : group.get("rules")) {
                      if (!r.path("health").asText().equals("ok")) {
                        return false;
                      }
                    }
                  }
                  return g.size() >= 7;
                });
    Set<String> names = new HashSet<>();
    groups.forEach(g -> names.add(g.get("name").asText()));
    assertThat(names).contains("uat-red", "uat-genai", "uat-slo", "uat-llm", "uat-telemetry");
    assertThat(query("job:uat_http_requests:rate5m")).isNotEmpty();
  }

  @Test
  @Order(3)
  @Timeout(60)
  void nginxServesTheWebClientHidesInternalsAndAnswersLimitsInThePlatformsShape() throws Exception {
    String edge = d.url("EDGE");
    HttpResponse<String> page = get(edge + "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).containsIgnoringCase("<html");
    assertThat(get(edge + "/metrics").statusCode()).isEqualTo(404);
    assertThat(get(edge + "/health/ready").statusCode()).isEqualTo(404);
    // a body over the api's 256 KiB is refused by nginx before any instance reads it
    HttpResponse<String> big =
        post(edge + "/api/chat", "{\"message\":\"" + "x".repeat(300_000) + "\"}");
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(JSON.readTree(big.body()).at("/error/code").asText()).isEqualTo("payload_too_large");
    assertThat(big.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
  }

  @Test
  @Order(4)
  @Timeout(180)
  void slowProviderFiresThe200msAlertAndAlertmanagerDeliversIt() throws Exception {
    String edge = d.url("EDGE");
    // both routers know the fake provider's models (discovery retries every 5 s)
    for (String router : List.of("ROUTER1", "ROUTER2")) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofSeconds(1))
          .ignoreExceptions()
          .until(() -> get(d.url(router) + "/v1/models").body().contains("slow-model"));
    }
    provider.delayMillis.set(350);
    String conversation = conversation("slow");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> chats = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        String c = i % 4 == 0 ? conversation : conversation("slow " + i);
        chats.add(
            pool.submit(
                () ->
                    post(
                            edge + "/api/chat",
                            "{\"conversation_id\":\""
                                + c
                                + "\",\"model\":\"slow\",\"message\":\"take your time\"}")
                        .statusCode()));
      }
      for (Future<Integer> f : chats) {
        assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(200);
      }
    } finally {
      pool.shutdownNow();
    }
    // what the LLM dashboard shows: a cache hit, a fallback
    String same =
        "{\"model\":\"slow\",\"messages\":[{\"role\":\"user\",\"content\":\"cache me\"}]}";
    assertThat(post(edge + "/v1/chat/completions", same).statusCode()).isEqualTo(200);
    HttpResponse<String> again = post(edge + "/v1/chat/completions", same);
    assertThat(again.statusCode()).isEqualTo(200);
    String flaky = "{\"model\":\"flaky\",\"messages\":[{\"role\":\"user\",\"content\":\"fall\"}]}";
    HttpResponse<String> fellBack = post(edge + "/v1/chat/completions", flaky);
    assertThat(fellBack.statusCode()).as(fellBack.body()).isEqualTo(200);
    assertThat(fellBack.body()).contains("echo");
    provider.delayMillis.set(0);

    JsonNode alert =
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofSeconds(1))
            .until(() -> firing("UatHighResponseTime", "uat-api"), java.util.Objects::nonNull);
    assertThat(alert.at("/labels/severity").asText()).isEqualTo("warning");
    assertThat(Double.parseDouble(alert.get("value").asText())).isGreaterThan(0.2);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> webhook.firing("UatHighResponseTime"));
    assertThat(webhook.received.get(0).authorization()).isEqualTo("Bearer local-webhook-token");
  }

  @Test
  @Order(5)
  @Timeout(150)
  void everyGrafanaPanelQueryReturnsDataFromThisPrometheus() throws Exception {
    // a refusal and a disconnect for the realtime dashboard
    try (WsClient ws = WsClient.open(d.url("EDGE").replaceFirst("^http", "ws") + "/ws")) {
      ws.send("{\"type\":\"connect\",\"token\":\"" + token + "\"}");
      ws.next("connected");
      // past the frame-rate limit (50/s, burst 100): until the server says rate_limited
      boolean limited = false;
      for (int i = 0; i < 5000 && !limited; i++) {
        ws.send("{\"type\":\"ping\"}");
        if (i % 50 == 49) {
          for (JsonNode f = ws.poll(0); f != null && !limited; f = ws.poll(0)) {
            limited = f.toString().contains("rate_limited");
          }
        }
      }
      assertThat(limited).as("the realtime frame-rate limit answered").isTrue();
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> !query("uat_realtime_limits_refused_total").isEmpty());

    Set<String> exported = new HashSet<>();
    prometheus("/api/v1/label/__name__/values").get("data").forEach(n -> exported.add(n.asText()));
    List<Path> dashboards;
    try (Stream<Path> s = Files.list(Tools.deploy("grafana", "dashboards"))) {
      dashboards = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    assertThat(dashboards).hasSize(4);
    Map<String, String> failures = new ConcurrentHashMap<>();
    int queries = 0;
    for (Path file : dashboards) {
      for (JsonNode panel : JSON.readTree(file.toFile()).get("panels")) {
        for (JsonNode target : panel.get("targets")) {
          String expr = target.get("expr").asText();
          String where = file.getFileName() + " / " + panel.get("title").asText() + ": " + expr;
          queries++;
          for (String name : metricNames(expr)) {
            if (!exported.contains(name)) {
              failures.put(where, "no metric named " + name + " is exported");
            }
          }
          try {
            await()
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(() -> !query(expr).isEmpty());
          } catch (org.awaitility.core.ConditionTimeoutException e) {
            failures.putIfAbsent(where, "no data");
          }
        }
      }
    }
    assertThat(failures).as("panels without data").isEmpty();
    assertThat(queries).isGreaterThan(30);
  }

  @Test
  @Order(6)
  @Timeout(180)
  void killingOneApiLosesNoAcknowledgedMessageAndNginxFailsOver() throws Exception {
    String edge = d.url("EDGE");
    List<String> conversations = List.of(conversation("failover a"), conversation("failover b"));
    Map<String, List<String>> acknowledged = new ConcurrentHashMap<>();
    List<String> refused = new CopyOnWriteArrayList<>();
    AtomicInteger acksAfterKill = new AtomicInteger();
    AtomicBoolean killed = new AtomicBoolean();
    AtomicInteger sequence = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> senders = new ArrayList<>();
      for (String c : conversations) {
        acknowledged.put(c, new CopyOnWriteArrayList<>());
        senders.add(
            pool.submit(
                () -> {
                  long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                  while (acksAfterKill.get() < 20 && System.nanoTime() < end) {
                    String text = "message " + sequence.incrementAndGet();
                    boolean afterKill = killed.get();
                    HttpResponse<String> r =
                        post(
                            edge + "/api/chat",
                            "{\"conversation_id\":\"" + c + "\",\"message\":\"" + text + "\"}");
                    if (r.statusCode() == 200) {
                      acknowledged.get(c).add(text);
                      if (afterKill) {
                        acksAfterKill.incrementAndGet();
                      }
                    } else {
                      refused.add(r.statusCode() + " " + r.body());
                    }
                  }
                  return null;
                }));
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> acknowledged.values().stream().mapToInt(List::size).sum() >= 8);
      d.kill("api-1");
      killed.set(true);
      for (Future<?> f : senders) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(acksAfterKill.get()).as("chats answered after the kill").isGreaterThanOrEqualTo(20);
    // only requests in flight on the killed instance may fail (nginx does not replay a POST)
    assertThat(refused).as("refused chats").hasSizeLessThanOrEqualTo(2);

    // every acknowledged message is in its conversation, read through the surviving api
    for (String c : conversations) {
      HttpResponse<String> r = get(edge + "/api/conversations/" + c);
      assertThat(r.statusCode()).isEqualTo(200);
      List<String> stored = new ArrayList<>();
      JSON.readTree(r.body()).get("messages").forEach(m -> stored.add(m.get("content").asText()));
      assertThat(stored).containsAll(acknowledged.get(c));
    }

    // nginx marked the dead instance failed and sent the request to the other one
    String api1 = "127.0.0.1:" + d.ports.get("API1");
    String api2 = "127.0.0.1:" + d.ports.get("API2");
    // once api-1's fail_timeout (10 s) is over, nginx tries it again, is refused, and moves that
    // same request to api-2: the client sees a 200
    String lastConversation = conversations.get(0);
    await()
        .atMost(Duration.ofSeconds(40))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              HttpResponse<String> r =
                  post(
                      edge + "/api/chat",
                      "{\"conversation_id\":\"" + lastConversation + "\",\"message\":\"again\"}");
              assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
              return !failedOver(api1, api2).isEmpty();
            });
    JsonNode moved = failedOver(api1, api2).get(0);
    assertThat(moved.get("status").asInt()).isEqualTo(200);
    assertThat(moved.get("upstream_status").asText()).endsWith(", 200");

    // and Prometheus sees the instance down: the critical alert reaches the webhook
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> webhook.firing("UatInstanceDown"));
    // the shipped inhibition: the api's critical alert silences the api's 200 ms warning
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              HttpResponse<String> r = get(d.url("ALERTMANAGER") + "/api/v2/alerts");
              for (JsonNode a : JSON.readTree(r.body())) {
                if (a.at("/labels/alertname").asText().equals("UatHighResponseTime")
                    && a.at("/labels/job").asText().equals("uat-api")) {
                  return a.at("/status/state").asText().equals("suppressed")
                      && !a.at("/status/inhibitedBy").isEmpty();
                }
              }
              return false;
            });
  }

  // ---------------------------------------------------------------------------------------------

  static String login(String email) throws Exception {
    String creds = "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}";
    HttpResponse<String> r = post0(d.url("EDGE") + "/api/auth/register", null, creds);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    r = post0(d.url("EDGE") + "/api/auth/login", null, creds);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).get("access_token").asText();
  }

  static String conversation(String title) throws Exception {
    HttpResponse<String> r =
        post(d.url("EDGE") + "/api/conversations", "{\"title\":\"" + title + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).get("id").asText();
  }

  static WsClient subscriber(String conversation) throws Exception {
    WsClient ws = WsClient.open(d.url("EDGE").replaceFirst("^http", "ws") + "/ws");
    ws.send("{\"type\":\"connect\",\"token\":\"" + token + "\",\"ack\":true}");
    ws.next("connected");
    ws.send("{\"type\":\"subscribe\",\"channel\":\"conversation:" + conversation + "\"}");
    ws.next("subscribed");
    return ws;
  }

  /** Open WebSocket connections per realtime instance, from each one's own /metrics. */
  static Map<String, Double> connections() throws Exception {
    Map<String, Double> n = new HashMap<>();
    for (String rt : List.of("REALTIME1", "REALTIME2")) {
      double sum = 0;
      for (String line : get(d.url(rt) + "/metrics").body().split("\n")) {
        if (line.startsWith("uat_realtime_connections_active")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      n.put(rt, sum);
    }
    return n;
  }

  static String grew(Map<String, Double> before, Map<String, Double> now) {
    for (String rt : now.keySet()) {
      if (now.get(rt) > before.get(rt)) {
        return rt;
      }
    }
    return null;
  }

  static JsonNode trace(String traceId) throws Exception {
    HttpResponse<String> r = get(d.url("OBSERVATORY") + "/api/traces/" + traceId);
    return r.statusCode() == 200 ? JSON.readTree(r.body()).at("/data/0") : null;
  }

  static Set<String> services(JsonNode trace) {
    Set<String> names = new HashSet<>();
    trace.get("processes").forEach(p -> names.add(p.get("serviceName").asText()));
    return names;
  }

  static long count(JsonNode trace, String operation) {
    long n = 0;
    for (JsonNode s : trace.get("spans")) {
      if (s.get("operationName").asText().equals(operation)) {
        n++;
      }
    }
    return n;
  }

  /** Distinct processes (service instances) with a realtime delivery span. */
  static long consumerProcesses(JsonNode trace) {
    Set<String> instances = new HashSet<>();
    for (JsonNode s : trace.get("spans")) {
      if (s.get("operationName").asText().equals("process conversation:{id}")) {
        instances.add(s.get("processID").asText());
      }
    }
    return instances.size();
  }

  /** Spans whose parent is not in the trace. */
  static List<JsonNode> orphans(JsonNode trace) {
    Set<String> ids = new HashSet<>();
    trace.get("spans").forEach(s -> ids.add(s.get("spanID").asText()));
    List<JsonNode> orphans = new ArrayList<>();
    for (JsonNode s : trace.get("spans")) {
      JsonNode refs = s.get("references");
      if (refs.isEmpty() || !ids.contains(refs.get(0).get("spanID").asText())) {
        orphans.add(s);
      }
    }
    return orphans;
  }

  /** Access log entries of requests nginx moved from {@code from} to {@code to}. */
  static List<JsonNode> failedOver(String from, String to) throws Exception {
    List<JsonNode> moved = new ArrayList<>();
    for (String line : Files.readAllLines(d.state.resolve("logs/nginx-access.json"))) {
      JsonNode e = JSON.readTree(line);
      if (e.get("upstream_addr").asText().equals(from + ", " + to)) {
        moved.add(e);
      }
    }
    return moved;
  }

  static JsonNode accessLog(String uri, String traceId) throws Exception {
    for (String line : Files.readAllLines(d.state.resolve("logs/nginx-access.json"))) {
      JsonNode e = JSON.readTree(line);
      if (e.get("uri").asText().equals(uri) && e.get("trace_id").asText().equals(traceId)) {
        return e;
      }
    }
    return null;
  }

  static Set<String> upTargets(JsonNode targets) {
    Set<String> up = new HashSet<>();
    for (JsonNode t : targets) {
      String job = t.at("/labels/job").asText();
      if (job.startsWith("uat-") && t.get("health").asText().equals("up")) {
        String instance = t.at("/labels/instance").asText();
        up.add(job + " " + instance.substring(instance.lastIndexOf(':') + 1));
      }
    }
    return up;
  }

  static JsonNode prometheus(String path) throws Exception {
    HttpResponse<String> r = get(d.url("PROMETHEUS") + path);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  static JsonNode query(String promql) throws Exception {
    JsonNode r =
        prometheus("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    assertThat(r.get("status").asText()).isEqualTo("success");
    return r.at("/data/result");
  }

  /** The firing alert {@code name} for {@code job} in Prometheus, or null. */
  static JsonNode firing(String name, String job) throws Exception {
    for (JsonNode a : prometheus("/api/v1/alerts").at("/data/alerts")) {
      if (a.at("/labels/alertname").asText().equals(name)
          && a.at("/labels/job").asText().equals(job)
          && a.get("state").asText().equals("firing")) {
        return a;
      }
    }
    return null;
  }

  private static final Set<String> PROMQL_WORDS =
      Set.of(
          "by",
          "without",
          "or",
          "and",
          "unless",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "offset",
          "inf",
          "nan");
  private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  /**
   * The metric names an expression reads: identifiers outside label matchers, range selectors,
   * {@code by (…)} clauses and strings that are not function names. Selectors by {@code __name__=~}
   * regex name no metric here (their panels pair them with a literal one).
   */
  static Set<String> metricNames(String expr) {
    String s =
        expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
            .replaceAll("\\{[^}]*\\}", " ")
            .replaceAll("\\[[^]]*\\]", " ")
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> names = new HashSet<>();
    Matcher m = IDENT.matcher(s);
    while (m.find()) {
      String word = m.group();
      int after = m.end();
      while (after < s.length() && s.charAt(after) == ' ') {
        after++;
      }
      boolean function = after < s.length() && s.charAt(after) == '(';
      boolean number = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
      if (!function && !number && !PROMQL_WORDS.contains(word.toLowerCase())) {
        names.add(word);
      }
    }
    return names;
  }

  static HttpRequest.BodyPublisher body(String json) {
    return HttpRequest.BodyPublishers.ofString(json);
  }

  static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(
        b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String url) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b);
  }

  static HttpResponse<String> post(String url, String json) throws Exception {
    return post0(url, token, json);
  }

  static HttpResponse<String> post0(String url, String bearer, String json) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(body(json));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return send(b);
  }

  static String hex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
