package dev.uat.app;

import static java.util.Objects.requireNonNull;

import dev.uat.api.Api;
import dev.uat.api.ApiSettings;
import dev.uat.api.ApiSettingsBuilder;
import dev.uat.auth.Credentials;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.edge.Edge;
import dev.uat.edge.EdgeSettings;
import dev.uat.events.EventBus;
import dev.uat.events.HttpEventBus;
import dev.uat.events.InProcessEventBus;
import dev.uat.observatory.Observatory;
import dev.uat.observatory.ObservatorySettings;
import dev.uat.realtime.Realtime;
import dev.uat.realtime.RealtimeEvents;
import dev.uat.realtime.RealtimeSettings;
import dev.uat.realtime.RedisEventBus;
import dev.uat.router.Router;
import dev.uat.router.RouterSettings;
import dev.uat.router.RouterSettingsBuilder;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TelemetrySettings;
import dev.uat.web.Closer;
import dev.uat.web.Urls;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one wiring path: how each component is built from a {@link Config}. {@code uat serve X}
 * starts one component with a {@link Mode#DISTRIBUTED} wiring; {@code uat up} starts every
 * component, in {@link #START_ORDER}, with an {@link Mode#ALL_IN_ONE} wiring. The settings each
 * component gets come from the same methods in both modes ({@code WiringTest} holds them equal);
 * the only differences are the all-in-one's shortcuts, each an explicit choice here:
 *
 * <ul>
 *   <li>one signing key in memory: the router and realtime verify tokens with it instead of
 *       fetching the api's JWKS;
 *   <li>one event bus in the process (or the Redis bus when {@code redis-url} is set): the api
 *       publishes on it, realtime delivers from it, and the router hears revocations on it;
 *   <li>spans handed to the embedded observatory in process rather than over OTLP/HTTP on loopback
 *       (see {@link #telemetry}), when no {@code otlp-endpoint} is given.
 * </ul>
 *
 * <p>Every other hop is real HTTP on loopback in both modes, so traces cross real boundaries. Not
 * thread-safe: one thread wires and then closes through the {@link Closer} it was given.
 */
final class Wiring {
  private static final Logger log = LoggerFactory.getLogger(Wiring.class);

  /** The components, in the order {@code uat up} starts them. */
  enum Component {
    OBSERVATORY,
    ROUTER,
    API,
    REALTIME,
    EDGE;

    /** {@code router} → {@link #ROUTER}; a clear error for anything else. */
    static Component named(String name) {
      for (Component c : values()) {
        if (c.id().equals(name)) {
          return c;
        }
      }
      throw new Config.ConfigException(
          "unknown component '" + name + "': edge, api, router, realtime or observatory");
    }

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    String serviceName() {
      return "uat-" + id();
    }
  }

  static final List<Component> START_ORDER = List.of(Component.values());

  enum Mode {
    /** {@code uat up}: every component in this JVM, with the in-process shortcuts. */
    ALL_IN_ONE,
    /** {@code uat serve}: one component, peers reached at their configured URLs. */
    DISTRIBUTED
  }

  /** A started component, the settings it was built from, and its URL. */
  record Started(Component component, AutoCloseable instance, Record settings, String url) {}

  private final Config config;
  private final Closer closer;
  private final Mode mode;
  private final Map<String, Telemetry> telemetries = new HashMap<>();
  private JwtKeys keys;
  private Observatory observatory; // the all-in-one's, once started
  private RealtimeEvents sharedEvents;
  private boolean dataDirectoryReady;

  /**
   * @param config with every port chosen ({@link Config#withFreePortsChosen()}) in the all-in-one
   * @param closer what is started is registered here, to be closed newest first
   */
  Wiring(Config config, Closer closer, Mode mode) {
    this.config = requireNonNull(config, "config");
    this.closer = requireNonNull(closer, "closer");
    this.mode = requireNonNull(mode, "mode");
  }

  /** Starts {@code component}; what it opened is on the closer even when this throws. */
  Started start(Component component) {
    if (component != Component.EDGE && component != Component.REALTIME && !dataDirectoryReady) {
      DataDirectory.prepare(config.dataDir()); // once: the all-in-one's three users share it
      dataDirectoryReady = true;
    }
    return switch (component) {
      case OBSERVATORY -> {
        ObservatorySettings s = observatorySettings(config);
        Observatory o = closer.register(Observatory.start(s, telemetry(component, false)));
        observatory = o;
        yield new Started(component, o, s, o.queryUrl());
      }
      case ROUTER -> {
        RouterSettings s = routerSettings(config);
        Telemetry t = telemetry(component, true);
        Credentials credentials = Router.credentials(s.apiUrl(), t, verifier("uat-router"));
        revocations(t).ifPresent(bus -> closer.register(credentials.listen(bus)));
        Router r = closer.register(Router.start(s, t, credentials));
        yield new Started(component, r, s, r.url());
      }
      case API -> {
        ApiSettings s = apiSettings(config);
        Telemetry t = telemetry(component, true);
        Api a = closer.register(Api.start(s, t, apiBus(t), keys()));
        yield new Started(component, a, s, a.url());
      }
      case REALTIME -> {
        RealtimeSettings s = realtimeSettings(config);
        Telemetry t = telemetry(component, true);
        RealtimeEvents events =
            mode == Mode.ALL_IN_ONE ? sharedEvents(t) : closer.register(events(t));
        Realtime r = closer.register(Realtime.start(s, t, events, verifier(Realtime.AUDIENCE)));
        yield new Started(component, r, s, r.url());
      }
      case EDGE -> {
        EdgeSettings s = edgeSettings(config);
        Edge e = closer.register(Edge.start(s, telemetry(component, true)));
        yield new Started(component, e, s, e.url());
      }
    };
  }

  // ---- settings: the same in both modes ------------------------------------------------------

  static ObservatorySettings observatorySettings(Config config) {
    return ObservatorySettings.defaults().toBuilder()
        .host(config.internalHost())
        .otlpPort(config.port("otlp-port"))
        .otlpGrpcPort(config.port("otlp-grpc-port"))
        .queryPort(config.port("observatory-port"))
        .zipkinPort(config.port("zipkin-port"))
        .maxStoreBytes(config.longValue("observatory-max-bytes"))
        .dataDir(config.dataDir())
        .persist(Boolean.parseBoolean(config.require("observatory-persist").trim()))
        .token(config.get("observatory-token").orElse(null))
        .alertmanagerUrl(config.get("alertmanager-url").orElse(null))
        .allowedHosts(config.list("observatory-allowed-hosts"))
        .build();
  }

  static RouterSettings routerSettings(Config config) {
    RouterSettingsBuilder b =
        RouterSettings.defaults().toBuilder()
            .host(config.internalHost())
            .port(config.port("router-port"))
            .exposure(config.exposure())
            .provider(config.require("provider"))
            .ollamaUrl(config.require("ollama-url"))
            .apiUrl(Urls.stripSlash(config.require("api-url")))
            .dataDir(config.dataDir())
            .jdbcUrl(config.get("router-jdbc-url").orElse(null))
            .redisUrl(config.get("redis-url").orElse(null))
            .configFile(config.get("router-config").map(Path::of).orElse(null));
    config
        .get("openai-url")
        .ifPresent(url -> b.openaiUrl(url).openaiKey(config.get("openai-key").orElse(null)));
    config.get("model").ifPresent(b::defaultModel);
    return b.build();
  }

  static ApiSettings apiSettings(Config config) {
    ApiSettingsBuilder b =
        ApiSettings.defaults(config.dataDir(), config.require("router-url")).toBuilder()
            .host(config.internalHost())
            .port(config.port("api-port"))
            .exposure(config.exposure())
            .bcryptCost(config.integer("bcrypt-cost"))
            .limits(
                ApiSettings.Limits.defaults().toBuilder()
                    .requestsPerMinute(config.integer("rate-limit-requests"))
                    .chatsPerMinute(config.integer("rate-limit-chats"))
                    .loginFailuresBeforeBackoff(config.integer("rate-limit-login-failures"))
                    .loginsPerIpPerMinute(config.integer("rate-limit-logins"))
                    .build());
    if (config.get("jdbc-url").isPresent()) {
      b.jdbcUrl(config.require("jdbc-url"))
          .jdbcUser(config.get("jdbc-user").orElse(null))
          .jdbcPassword(config.get("jdbc-password").orElse(null));
    }
    return b.build();
  }

  static RealtimeSettings realtimeSettings(Config config) {
    return RealtimeSettings.defaults(config.require("api-url")).toBuilder()
        .host(config.internalHost())
        .port(config.port("realtime-port"))
        .exposure(config.exposure())
        .build();
  }

  static EdgeSettings edgeSettings(Config config) {
    return EdgeSettings.defaults(
            config.require("api-url"), config.require("router-url"), config.require("realtime-url"))
        .toBuilder()
        .host(config.publicHost())
        .port(config.port("edge-port"))
        .exposure(config.exposure())
        .observatoryUrl(
            config
                .get("observatory-url")
                .orElse("http://127.0.0.1:" + config.port("observatory-port")))
        .build();
  }

  // ---- what differs between the modes: each shortcut, explicitly ----------------------------

  /** Tokens: the in-memory key in the all-in-one, else the api's JWKS. */
  private TokenVerifier verifier(String audience) {
    return mode == Mode.ALL_IN_ONE
        ? TokenVerifier.local(keys(), audience)
        : TokenVerifier.remote(
            Urls.stripSlash(config.require("api-url")) + "/api/auth/jwks", audience);
  }

  /**
   * Where the router hears revocations: the shared bus in the all-in-one; Redis when distributed
   * with {@code redis-url}; else nowhere (then answers are believed for at most 5 s).
   */
  private Optional<EventBus> revocations(Telemetry routerTelemetry) {
    if (mode == Mode.ALL_IN_ONE) {
      return Optional.of(sharedBus(telemetry(Component.API, true)));
    }
    return config.get("redis-url").isPresent()
        ? Optional.of(closer.register(events(routerTelemetry)).bus())
        : Optional.empty();
  }

  /**
   * The bus the api publishes chat events on: the shared one in the all-in-one; distributed, Redis
   * when set (handing what Redis does not take to realtime's HTTP endpoint when {@code
   * realtime-url} is set too), else realtime's HTTP endpoint when {@code realtime-url} is set, else
   * nowhere.
   */
  private EventBus apiBus(Telemetry apiTelemetry) {
    if (mode == Mode.ALL_IN_ONE) {
      return sharedBus(apiTelemetry);
    }
    if (config.get("redis-url").isPresent()) {
      EventBus bus = closer.register(events(apiTelemetry)).bus();
      if (config.get("realtime-url").isPresent() && bus instanceof RedisEventBus redis) {
        // to that realtime instance's own subscribers only (Redis would number them late)
        redis.failOverTo(realtimeBus(apiTelemetry, true));
      }
      return bus;
    }
    if (config.get("realtime-url").isPresent()) {
      return realtimeBus(apiTelemetry, false);
    }
    log.warn("no realtime-url or redis-url: chat events will not reach any WebSocket client");
    return new InProcessEventBus();
  }

  /** Posts to realtime-url's {@code /internal/events}; {@code localOnly}: Uat-Delivery: local. */
  private HttpEventBus realtimeBus(Telemetry apiTelemetry, boolean localOnly) {
    return new HttpEventBus(
        apiTelemetry, config.require("realtime-url"), new TokenIssuer(keys()), localOnly);
  }

  /** The all-in-one's one bus, made with the api's telemetry the first time it is asked for. */
  private EventBus sharedBus(Telemetry apiTelemetry) {
    return sharedEvents(apiTelemetry).bus();
  }

  /** The all-in-one's one bus with realtime's history and presence, made the first time. */
  private RealtimeEvents sharedEvents(Telemetry apiTelemetry) {
    if (sharedEvents == null) {
      sharedEvents = closer.register(events(apiTelemetry));
    }
    return sharedEvents;
  }

  /** The all-in-one's shared bus once made (null before, and when distributed). */
  EventBus sharedBus() {
    return sharedEvents == null ? null : sharedEvents.bus();
  }

  /** Redis when {@code redis-url} is set (instances share channels, history, presence). */
  private RealtimeEvents events(Telemetry telemetry) {
    return RealtimeEvents.connect(config.get("redis-url").orElse(null), telemetry);
  }

  /**
   * The token signing key: {@code jwt-key} (a private EC JWK, inline JSON or a file path) when set,
   * else the one kept in the data directory (made at first start).
   */
  private JwtKeys keys() {
    if (keys == null) {
      keys = jwtKeys(config);
    }
    return keys;
  }

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

  /**
   * A component's SDK, one per service: OTLP/HTTP to {@code otlp-endpoint} (default: the
   * observatory's receiver on loopback), or OTLP/gRPC when the protocol says grpc. In the
   * all-in-one the service name is forced (one environment, five services), and, when no {@code
   * otlp-endpoint} is given, spans go to the embedded observatory in process ({@link
   * Observatory#inProcessExporter()}: no protobuf, no loopback HTTP; on the SDK's export thread)
   * unless its journal is on or the {@code OTEL_*} environment names another exporter or endpoint.
   */
  private Telemetry telemetry(Component component, boolean traces) {
    return telemetries.computeIfAbsent(
        component.serviceName(),
        service -> {
          String otlp =
              config.get("otlp-endpoint").orElse("http://127.0.0.1:" + config.port("otlp-port"));
          String otlpGrpc =
              config
                  .get("otlp-endpoint")
                  .orElse("http://127.0.0.1:" + config.port("otlp-grpc-port"));
          TelemetrySettings settings =
              new TelemetrySettings(service, otlp, mode == Mode.ALL_IN_ONE, traces, otlpGrpc);
          SpanExporter local =
              traces
                      && mode == Mode.ALL_IN_ONE
                      && observatory != null
                      && config.get("otlp-endpoint").isEmpty()
                  ? observatory.inProcessExporter().orElse(null)
                  : null;
          return closer.register(Telemetry.create(settings, local));
        });
  }
}
