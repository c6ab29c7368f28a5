package dev.uat.app;

import dev.uat.api.Api;
import dev.uat.api.ApiSettings;
import dev.uat.auth.Credentials;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenVerifier;
import dev.uat.edge.Edge;
import dev.uat.edge.EdgeSettings;
import dev.uat.events.EventBus;
import dev.uat.events.InProcessEventBus;
import dev.uat.observatory.Observatory;
import dev.uat.observatory.ObservatorySettings;
import dev.uat.realtime.Realtime;
import dev.uat.realtime.RealtimeSettings;
import dev.uat.realtime.RedisEventBus;
import dev.uat.router.Router;
import dev.uat.router.RouterSettings;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TelemetrySettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds components from a {@link Config}, alone ({@code uat serve}) or all in one JVM ({@code uat
 * up}). In the all-in-one mode they still talk over loopback HTTP, each with its own port and its
 * own OpenTelemetry SDK, so traces cross real service boundaries; events go through an in-process
 * bus and the signing key is shared in memory.
 */
public final class Platform implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Platform.class);

  private final Deque<AutoCloseable> open = new ArrayDeque<>();
  private Observatory observatory;
  private Router router;
  private Api api;
  private Realtime realtime;
  private Edge edge;
  private EventBus events;

  private Platform() {}

  /** Starts every component; on failure, stops what had started and rethrows. */
  public static Platform up(Config config) {
    Platform p = new Platform();
    try {
      p.startAll(config.withFreePortsChosen());
      return p;
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  private void startAll(Config config) {
    String host = config.internalHost();
    DataDirectory.prepare(config.dataDir());
    Telemetry observatoryTelemetry =
        track(
            Telemetry.create(
                new TelemetrySettings("uat-observatory", "http://127.0.0.1:1", true, false)));
    observatory = track(observatory(config, observatoryTelemetry));
    String otlp = config.get("otlp-endpoint").orElse(observatory.otlpUrl());
    String otlpGrpc = config.get("otlp-endpoint").orElse(observatory.otlpGrpcUrl());

    JwtKeys keys = jwtKeys(config);
    Telemetry routerTelemetry = telemetry("uat-router", otlp, otlpGrpc, true);
    String apiUrl = "http://127.0.0.1:" + config.port("api-port");
    Credentials routerCredentials =
        Router.credentials(apiUrl, routerTelemetry, TokenVerifier.local(keys));
    router = track(router(config, routerTelemetry, routerCredentials, apiUrl));

    Telemetry apiTelemetry = telemetry("uat-api", otlp, otlpGrpc, true);
    EventBus bus = track(events(config, apiTelemetry));
    events = bus;
    track(routerCredentials.listen(bus)); // logout, password change, key revocation: at once
    api = track(api(config, apiTelemetry, router.url(), bus, keys));

    realtime =
        track(
            Realtime.start(
                RealtimeSettings.defaults(api.url())
                    .withPort(config.port("realtime-port"))
                    .withHost(host)
                    .withExposure(config.exposure()),
                telemetry("uat-realtime", otlp, otlpGrpc, true),
                bus,
                TokenVerifier.local(keys, Realtime.AUDIENCE)));

    edge =
        track(
            edge(
                config,
                telemetry("uat-edge", otlp, otlpGrpc, true),
                api.url(),
                router.url(),
                realtime.url(),
                config.get("observatory-url").orElse(observatory.queryUrl())));
  }

  /**
   * The event bus between api and realtime: Redis when {@code redis-url} is set (instances share
   * channels, history and presence), else in this process.
   */
  static EventBus events(Config config, Telemetry telemetry) {
    return config.get("redis-url").isPresent()
        ? RedisEventBus.connect(config.require("redis-url"), telemetry)
        : new InProcessEventBus();
  }

  /**
   * The token signing key: {@code jwt-key} (a private EC JWK, inline JSON or a file path) when set,
   * else the one kept in the data directory (made at first start).
   */
  static JwtKeys jwtKeys(Config config) {
    Optional<String> given = config.get("jwt-key");
    if (given.isEmpty()) {
      return JwtKeys.loadOrCreate(config.dataDir());
    }
    String value = given.get().trim();
    if (value.startsWith("{")) {
      return JwtKeys.fromJson(value);
    }
    try {
      return JwtKeys.fromJson(Files.readString(Path.of(value)));
    } catch (IOException e) {
      throw new Config.ConfigException("cannot read jwt-key file " + value + ": " + e.getMessage());
    }
  }

  private Telemetry telemetry(String service, String otlp, String otlpGrpc, boolean allInOne) {
    return track(Telemetry.create(new TelemetrySettings(service, otlp, allInOne, true, otlpGrpc)));
  }

  private <T extends AutoCloseable> T track(T component) {
    open.push(component);
    return component;
  }

  static Observatory observatory(Config config, Telemetry telemetry) {
    return Observatory.start(
        new ObservatorySettings(
                config.internalHost(),
                config.port("otlp-port"),
                config.port("observatory-port"),
                config.port("zipkin-port"),
                config.longValue("observatory-max-bytes"),
                config.dataDir(),
                Boolean.parseBoolean(config.require("observatory-persist").trim()),
                config.get("observatory-token").orElse(""),
                config.get("alertmanager-url").orElse(""))
            .withAllowedHosts(config.list("observatory-allowed-hosts"))
            .withOtlpGrpcPort(config.port("otlp-grpc-port")),
        telemetry);
  }

  static Router router(Config config, Telemetry telemetry, Credentials credentials, String apiUrl) {
    RouterSettings s =
        RouterSettings.defaults()
            .withHost(config.internalHost())
            .withPort(config.port("router-port"))
            .withExposure(config.exposure())
            .withProvider(config.require("provider"))
            .withOllamaUrl(config.require("ollama-url"))
            .withApiUrl(apiUrl)
            .withDataDir(config.dataDir())
            .withJdbcUrl(config.get("router-jdbc-url").orElse(null))
            .withRedisUrl(config.get("redis-url").orElse(null))
            .withConfigFile(config.get("router-config").map(Path::of).orElse(null));
    if (config.get("openai-url").isPresent()) {
      s = s.withOpenai(config.require("openai-url"), config.get("openai-key").orElse(null));
    }
    if (config.get("model").isPresent()) {
      s = s.withDefaultModel(config.require("model"));
    }
    return Router.start(s, telemetry, credentials);
  }

  static Api api(Config config, Telemetry telemetry, String routerUrl, EventBus bus, JwtKeys keys) {
    ApiSettings s =
        ApiSettings.defaults(config.dataDir(), routerUrl)
            .withHost(config.internalHost())
            .withPort(config.port("api-port"))
            .withExposure(config.exposure())
            .withBcryptCost(config.integer("bcrypt-cost"))
            .withLimits(
                new ApiSettings.Limits(
                    config.integer("rate-limit-requests"),
                    config.integer("rate-limit-chats"),
                    config.integer("rate-limit-login-failures"),
                    config.integer("rate-limit-logins")));
    if (config.get("jdbc-url").isPresent()) {
      s =
          s.withJdbc(
              config.require("jdbc-url"),
              config.get("jdbc-user").orElse(null),
              config.get("jdbc-password").orElse(null));
    }
    return Api.start(s, telemetry, bus, keys);
  }

  static Edge edge(
      Config config,
      Telemetry telemetry,
      String apiUrl,
      String routerUrl,
      String realtimeUrl,
      String observatoryUrl) {
    return Edge.start(
        EdgeSettings.defaults(apiUrl, routerUrl, realtimeUrl)
            .withHost(config.publicHost())
            .withPort(config.port("edge-port"))
            .withExposure(config.exposure())
            .withObservatoryUrl(observatoryUrl),
        telemetry);
  }

  public Observatory observatory() {
    return observatory;
  }

  public Router router() {
    return router;
  }

  public Api api() {
    return api;
  }

  public Realtime realtime() {
    return realtime;
  }

  public Edge edge() {
    return edge;
  }

  /** The bus the api publishes on and realtime delivers from. */
  public EventBus events() {
    return events;
  }

  /**
   * Stops everything, newest first: services, then their SDKs (which flush), then the observatory.
   */
  @Override
  public void close() {
    while (!open.isEmpty()) {
      AutoCloseable c = open.pop();
      try {
        c.close();
      } catch (Exception e) {
        log.warn("stopping {} failed", c, e);
      }
    }
  }
}
