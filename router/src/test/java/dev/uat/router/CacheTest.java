package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.router.provider.ChatResponse;
import dev.uat.web.FrozenProcess;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisServer;

/** The exact-match response cache: in process by default, Redis when configured. */
@Timeout(30)
class CacheTest {
  @TempDir Path dir;
  @RegisterExtension final RouterFixture fixture = new RouterFixture();
  private final FakeUpstream ollama = fixture.ollama("Hi there!");
  private Router router;

  private Router router(String redisUrl) {
    return fixture.start(ollamaSettings().redisUrl(redisUrl));
  }

  private Router router(Path config) {
    return fixture.start(ollamaSettings().configFile(config));
  }

  private RouterSettingsBuilder ollamaSettings() {
    return RouterFixture.settings().provider("ollama").ollamaUrl(ollama.url());
  }

  private HttpResponse<String> chatAs(Router r, String token, String message, String... headers)
      throws Exception {
    return Http.post(
        r.url() + "/v1/chat/completions", Http.chat("llama3.2:latest", message), token, headers);
  }

  private static String content(HttpResponse<String> response) throws Exception {
    return Http.json(response).at("/choices/0/message/content").asText();
  }

  /**
   * Two accounts sending the same prompt each get their own entry: both miss first (the hit header
   * tells nobody what another account asked), each then hits their own, and a refresh by one
   * ({@code no-cache}) leaves the other's entry as it was.
   */
  private void entriesAreTheCallersOwn(Router first, Router second, Stored stored)
      throws Exception {
    String alice = Http.token("alice");
    String bob = Http.token("bob");

    var aliceMiss = chatAs(first, alice, "Same prompt");
    stored.await(v -> v.size() == 1);
    var bobMiss = chatAs(second, bob, "Same prompt");
    stored.await(v -> v.size() == 2);
    var aliceHit = chatAs(second, alice, "Same prompt");
    var bobHit = chatAs(first, bob, "Same prompt");

    assertThat(aliceMiss.headers().firstValue("X-Router-Cache")).hasValue("miss");
    assertThat(bobMiss.headers().firstValue("X-Router-Cache")).hasValue("miss");
    assertThat(aliceHit.headers().firstValue("X-Router-Cache")).hasValue("hit");
    assertThat(bobHit.headers().firstValue("X-Router-Cache")).hasValue("hit");
    assertThat(ollama.requests("/api/chat")).hasSize(2);

    ollama.on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", "Bob's fresh answer", "stop"));
    var bobRefresh = chatAs(second, bob, "Same prompt", "Cache-Control", "no-cache");
    stored.await(v -> v.size() == 2 && v.stream().anyMatch(x -> x.contains("Bob's fresh")));
    var aliceAfter = chatAs(first, alice, "Same prompt");
    var bobAfter = chatAs(first, bob, "Same prompt");

    assertThat(bobRefresh.headers().firstValue("X-Router-Cache")).hasValue("miss");
    assertThat(content(bobRefresh)).isEqualTo("Bob's fresh answer");
    assertThat(aliceAfter.headers().firstValue("X-Router-Cache")).hasValue("hit");
    assertThat(content(aliceAfter)).isEqualTo("Hi there!");
    assertThat(bobAfter.headers().firstValue("X-Router-Cache")).hasValue("hit");
    assertThat(content(bobAfter)).isEqualTo("Bob's fresh answer");
    assertThat(ollama.requests("/api/chat")).hasSize(3);
  }

  /**
   * Waits until the router reached Redis: on a loaded machine its first connection attempt may take
   * longer than the cache's 250 ms timeout, and it retries only every 5 s.
   */
  private static void connected(Router r) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(12))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> Http.get(r.url() + "/health/ready").statusCode() == 200);
  }

  /** Waits until the stored answers satisfy a condition (Redis stores without waiting). */
  @FunctionalInterface
  interface Stored {
    void await(java.util.function.Predicate<List<String>> ready);
  }

  /** The answers stored in the Redis at {@code url} now. */
  private static List<String> stored(String url) {
    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(url);
    try (var connection = client.connect()) {
      var redis = connection.sync();
      return redis.keys(RedisResponseCache.PREFIX + "*").stream().map(redis::get).toList();
    } finally {
      client.shutdown();
    }
  }

  /** The answers stored in the Redis at {@code url}, awaited. */
  private static Stored redisValues(String url) {
    return ready ->
        org.awaitility.Awaitility.await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> stored(url), ready::test);
  }

  @Test
  void inProcessEntriesAreTheCallersOwn() throws Exception {
    router = router((String) null);

    entriesAreTheCallersOwn(router, router, ready -> {});
  }

  @Test
  void redisEntriesAreTheCallersOwn() throws Exception {
    withSharedRedis((a, b, url, port) -> entriesAreTheCallersOwn(a, b, redisValues(url)));
  }

  /** What a test does with two routers sharing one Redis. */
  @FunctionalInterface
  private interface SharedRedisTest {
    void run(Router a, Router b, String url, int port) throws Exception;
  }

  /** An embedded Redis, started on a free port; the caller stops it. */
  private static RedisServer startedRedis() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    RedisServer redis = new RedisServer(port);
    redis.start();
    return redis;
  }

  /** Two connected routers sharing an embedded Redis on a free port; Redis stops after. */
  private void withSharedRedis(SharedRedisTest test) throws Exception {
    RedisServer redis = startedRedis();
    int port = redis.ports().getFirst();
    try {
      String url = "redis://127.0.0.1:" + port;
      router = router(url);
      try (Router other = router(url)) {
        connected(router);
        connected(other);
        test.run(router, other, url, port);
      }
    } finally {
      redis.stop();
    }
  }

  @Test
  void inProcessCacheIsBoundedInBytesAndEvictionsAreCounted() throws Exception {
    Path config = dir.resolve("router.yaml");
    Files.writeString(config, "cache: {max_bytes: 65536}");
    // each answer weighs about 16 KiB: four fit in the budget
    ollama.on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", "x".repeat(8000), "stop"));
    router = router(config);

    for (int i = 0; i < 20; i++) {
      assertThat(chat(router, "prompt " + i).statusCode()).isEqualTo(200);
    }

    assertThat(fixture.otel.metric("uat.router.budget.evictions").getLongSumData().getPoints())
        .anySatisfy(
            p -> {
              assertThat(p.getAttributes().get(AttributeKey.stringKey("uat.router.budget")))
                  .isEqualTo("response_cache");
              assertThat(p.getValue()).isGreaterThanOrEqualTo(15);
            });
    assertThat(Http.get(router.url() + "/health/ready").statusCode()).isEqualTo(200);

    CaffeineResponseCache direct =
        new CaffeineResponseCache(
            65536, Duration.ofMinutes(1), new RouterMetrics(fixture.otel.telemetry()));
    var answer =
        new dev.uat.router.provider.ChatResponse(
            "id", "m", "y".repeat(8000), "stop", 1, 1, 0, false);
    for (int i = 0; i < 100; i++) {
      direct.put("k" + i, answer);
    }
    assertThat(direct.bytes()).isLessThanOrEqualTo(65536).isGreaterThan(32768);
  }

  private HttpResponse<String> chat(Router r, String message, String... headers) throws Exception {
    return Http.post(
        r.url() + "/v1/chat/completions",
        Http.chat("llama3.2:latest", message),
        Http.TOKEN,
        headers);
  }

  private long lookups(String result) {
    return fixture.otel.metric("uat.router.cache.lookups").getLongSumData().getPoints().stream()
        .filter(
            p ->
                result.equals(
                    p.getAttributes().get(AttributeKey.stringKey("uat.router.cache.result"))))
        .mapToLong(LongPointData::getValue)
        .sum();
  }

  @Test
  void sameRequestTwiceIsAnsweredFromTheCacheTheSecondTime() throws Exception {
    router = router((String) null);

    var miss = chat(router, "Hello?");
    var hit = chat(router, "Hello?");

    assertThat(miss.headers().firstValue("X-Router-Cache")).hasValue("miss");
    assertThat(hit.headers().firstValue("X-Router-Cache")).hasValue("hit");
    assertThat(Http.json(hit).at("/choices/0/message/content").asText()).isEqualTo("Hi there!");
    assertThat(Http.json(hit).at("/usage/total_tokens").asInt()).isEqualTo(324);
    assertThat(Http.json(hit).path("id").asText())
        .isNotEqualTo(Http.json(miss).path("id").asText());
    assertThat(ollama.requests("/api/chat")).hasSize(1);
    assertThat(lookups("hit")).isEqualTo(1);
    assertThat(lookups("miss")).isEqualTo(1);

    List<SpanData> servers =
        Http.trace(fixture.otel, "POST /v1/chat/completions", s -> true).stream()
            .filter(s -> s.getKind() == SpanKind.SERVER)
            .toList();
    assertThat(servers).hasSize(1);
    assertThat(servers.getFirst().getAttributes().get(RouterAttributes.CACHE_HIT)).isTrue();
    // a hit makes no upstream attempt
    assertThat(Http.chatTrace(fixture.otel)).noneMatch(s -> s.getName().startsWith("chat "));
  }

  @Test
  void differentParametersOrMessagesAreDifferentEntries() throws Exception {
    router = router((String) null);

    chat(router, "Hello?");
    chat(router, "Hello!");
    Http.post(
        router.url() + "/v1/chat/completions",
        "{\"temperature\":0.5," + Http.chat("llama3.2:latest", "Hello?").substring(1));

    assertThat(ollama.requests("/api/chat")).hasSize(3);
  }

  @Test
  void cacheControlOptsOutPerRequest() throws Exception {
    router = router((String) null);
    chat(router, "Hello?");

    var noCache = chat(router, "Hello?", "Cache-Control", "no-cache");
    var noStore = chat(router, "Hello?", "Cache-Control", "no-store");

    assertThat(noCache.headers().firstValue("X-Router-Cache")).hasValue("miss");
    assertThat(noStore.headers().firstValue("X-Router-Cache")).hasValue("bypass");
    assertThat(ollama.requests("/api/chat")).hasSize(3);
  }

  @Test
  void streamedRequestIsCachedAndReplayedAsAStream() throws Exception {
    ollama.on(
        "/api/chat",
        FakeUpstream.stream(
            "application/x-ndjson", Wire.ollamaStream("llama3.2:latest", "Hi", " there")));
    router = router((String) null);
    String body = Http.streamedChat("llama3.2:latest", "Hello?");

    var first = Http.post(router.url() + "/v1/chat/completions", body);
    var second = Http.post(router.url() + "/v1/chat/completions", body);

    assertThat(second.headers().firstValue("X-Router-Cache")).hasValue("hit");
    List<String> events = StreamingTest.events(second.body());
    assertThat(events.getLast()).isEqualTo("[DONE]");
    assertThat(second.body()).contains("\"content\":\"Hi there\"");
    assertThat(first.body()).contains("\"content\":\" there\"");
    assertThat(ollama.requests("/api/chat")).hasSize(1);
  }

  @Test
  void echoAnswersAreNotCached() throws Exception {
    router = fixture.start(RouterFixture.settings().provider("echo"));

    var first = Http.post(router.url() + "/v1/chat/completions", Http.chat(null, "x"));
    var second = Http.post(router.url() + "/v1/chat/completions", Http.chat(null, "x"));

    assertThat(first.headers().firstValue("X-Router-Cache")).hasValue("bypass");
    assertThat(second.headers().firstValue("X-Router-Cache")).hasValue("bypass");
  }

  @Test
  void redisCacheIsSharedBetweenRouterInstancesAndTraced() throws Exception {
    withSharedRedis(
        (router, other, url, port) -> {
          var miss = chat(router, "Shared?");
          redisValues(url).await(v -> v.size() == 1);
          var hit = chat(other, "Shared?");

          assertThat(miss.headers().firstValue("X-Router-Cache")).hasValue("miss");
          assertThat(hit.headers().firstValue("X-Router-Cache")).hasValue("hit");
          assertThat(Http.json(hit).at("/choices/0/message/content").asText())
              .isEqualTo("Hi there!");
          assertThat(ollama.requests("/api/chat")).hasSize(1);
          assertThat(Http.get(other.url() + "/health/ready").statusCode()).isEqualTo(200);
          List<SpanData> spans = fixture.otel.spans();
          assertThat(spans)
              .filteredOn(s -> s.getName().equals("GET") && s.getKind() == SpanKind.CLIENT)
              .isNotEmpty()
              .allSatisfy(
                  s -> {
                    assertThat(s.getAttributes().get(AttributeKey.stringKey("db.system.name")))
                        .isEqualTo("redis");
                    assertThat(s.getAttributes().get(AttributeKey.longKey("server.port")))
                        .isEqualTo(port);
                  });
        });
  }

  /**
   * A Redis that hangs (accepts connections and bytes, answers nothing): the first lookup gives up
   * after the cache's own timeout ({@link RedisResponseCache#TIMEOUT}, not Lettuce's minute), so
   * that chat is answered, as a miss, that much later, and its answer is kept in the router's own
   * cache; then Redis is skipped for {@link RedisResponseCache#COOL_OFF} (no command is sent: the
   * local cache answers at once); readiness says 503 as soon; when Redis answers again one lookup
   * finds it and answers are stored there again, on the same connection.
   */
  @Test
  void redisThatHangsFallsBackToTheLocalCacheWithinTheCacheTimeout() throws Exception {
    RedisServer redis = startedRedis();
    int port = redis.ports().getFirst();
    try (FrozenProcess frozen = FrozenProcess.find("redis-server", port)) {
      router = router("redis://127.0.0.1:" + port);
      connected(router);
      assertThat(chat(router, "Hello?").headers().firstValue("X-Router-Cache")).hasValue("miss");
      redisValues("redis://127.0.0.1:" + port).await(v -> v.size() == 1);
      assertThat(chat(router, "Hello?").headers().firstValue("X-Router-Cache")).hasValue("hit");

      frozen.freeze();
      long gets = redisCommands("GET");
      long sets = redisCommands("SET");
      for (int i = 0; i < 4; i++) {
        long start = System.nanoTime();
        var answer = chat(router, "Hello?");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("X-Router-Cache"))
            .as("chat %d: the first misses, the next hit the router's own cache", i)
            .hasValue(i == 0 ? "miss" : "hit");
        assertThat(content(answer)).isEqualTo("Hi there!");
        // the lookup's 250 ms, and a loaded machine's share
        assertThat(took).as("chat %d on a hanging Redis", i).isLessThan(Duration.ofSeconds(2));
      }
      // one lookup waited; the other chats, within the cool-off, sent Redis nothing
      assertThat(redisCommands("GET")).isEqualTo(gets + 1);
      assertThat(redisCommands("SET")).isEqualTo(sets);
      long start = System.nanoTime();
      assertThat(Http.get(router.url() + "/health/ready").statusCode()).isEqualTo(503);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
      assertThat(ollama.requests("/api/chat")).hasSize(2);

      frozen.thaw();
      connected(router);
      // once the cool-off has passed, a lookup finds Redis and answers are stored there again
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                chat(router, "Again?");
                return stored("redis://127.0.0.1:" + port).size() == 2;
              });
    } finally {
      redis.stop();
    }
  }

  /**
   * Answers sent to a Redis that does not acknowledge them wait in the connection: at most {@link
   * RedisResponseCache#MAX_PENDING_BYTES} of them (the rest are not cached), each given up after
   * {@link RedisResponseCache#TIMEOUT}, which gives its bytes back.
   */
  @Test
  void answersWaitingForAHangingRedisAreBoundedInBytes() throws Exception {
    RedisServer redis = startedRedis();
    int port = redis.ports().getFirst();
    try (FrozenProcess frozen = FrozenProcess.find("redis-server", port);
        RedisResponseCache cache = redisCache(port)) {
      cache.check();
      frozen.freeze();
      String text = "x".repeat(300_000); // charged about 0.9 MB each
      for (int i = 0; i < 30; i++) {
        cache.put(
            "key-" + i, new ChatResponse(ChatResponse.newId(), "m", text, "stop", 1, 1, 0, false));
        assertThat(cache.pendingBytes()).isLessThanOrEqualTo(RedisResponseCache.MAX_PENDING_BYTES);
      }
      assertThat(cache.pendingBytes())
          .isGreaterThan(RedisResponseCache.MAX_PENDING_BYTES - 3L * (text.length() + 200));
      org.awaitility.Awaitility.await()
          .atMost(RedisResponseCache.TIMEOUT.plus(Duration.ofSeconds(3)))
          .until(() -> cache.pendingBytes() == 0);
      long gets = redisCommands("GET");
      cache.get("key-0");
      assertThat(redisCommands("GET")).as("skipped after the failures").isEqualTo(gets);
      frozen.thaw();
    } finally {
      redis.stop();
    }
  }

  /** How many Redis commands named {@code op} the router sent (its CLIENT spans). */
  private long redisCommands(String op) {
    return fixture.otel.spans().stream()
        .filter(s -> s.getName().equals(op) && s.getKind() == SpanKind.CLIENT)
        .filter(
            s -> "redis".equals(s.getAttributes().get(AttributeKey.stringKey("db.system.name"))))
        .count();
  }

  private RedisResponseCache redisCache(int port) {
    return new RedisResponseCache(
        "redis://127.0.0.1:" + port,
        Duration.ofMinutes(1),
        fixture.otel.telemetry(),
        new CaffeineResponseCache(
            8 << 20, Duration.ofMinutes(1), new RouterMetrics(fixture.otel.telemetry())));
  }

  @Test
  void redisThatIsDownFallsBackToTheLocalCache() throws Exception {
    router = router("redis://127.0.0.1:" + Http.deadPort());

    var first = chat(router, "Hello?");
    var second = chat(router, "Hello?");

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("X-Router-Cache")).hasValue("miss");
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(second.headers().firstValue("X-Router-Cache")).hasValue("hit");
    assertThat(content(second)).isEqualTo("Hi there!");
    assertThat(ollama.requests("/api/chat")).hasSize(1);
    assertThat(Http.get(router.url() + "/health/ready").statusCode()).isEqualTo(503);
  }

  /**
   * Redis goes away under an open connection and comes back: meanwhile answers are kept in the
   * router's own cache; once Redis answers again it is the cache again, and what the local one held
   * is gone (Redis may hold a fresher answer for the same key).
   */
  @Test
  @Timeout(60)
  void onceRedisAnswersAgainItIsTheCacheAndTheLocalFallbackIsEmptied() throws Exception {
    RedisServer redis = startedRedis();
    int port = redis.ports().getFirst();
    try (RedisResponseCache cache = redisCache(port)) {
      cache.check();
      ChatResponse answer =
          new ChatResponse(ChatResponse.newId(), "m", "kept", "stop", 1, 1, 0, false);
      redis.stop();
      assertThat(cache.get("k")).as("Redis is gone: a miss, not an error").isNull();
      cache.put("k", answer);
      assertThat(cache.get("k")).as("from the local cache").isNotNull();
      long gets = redisCommands("GET");

      redis.start();
      org.awaitility.Awaitility.await()
          // Lettuce's reconnection backoff (capped at 30 s), then the next probe
          .atMost(RedisResponseCache.COOL_OFF.plusSeconds(35))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                ChatResponse r = cache.get("k"); // after the cool-off, the lookup probes Redis
                return r == null && redisCommands("GET") > gets;
              });
      // Redis answered the probe: stores go there, lookups too, the local entry is gone
      cache.put("k2", answer);
      redisValues("redis://127.0.0.1:" + port).await(v -> v.size() == 1);
      assertThat(cache.get("k2").content()).isEqualTo("kept");
      assertThat(cache.get("k")).isNull();
      // at the next outage, the local cache does not bring the old entry back
      redis.stop();
      assertThat(cache.get("k")).as("the local fallback was emptied").isNull();
      assertThat(redisCommands("GET"))
          .as("that lookup did go to Redis first")
          .isGreaterThan(gets + 3);
    } finally {
      redis.stop();
    }
  }
}
