package dev.uat.app;

import dev.uat.api.Api;
import dev.uat.auth.Credentials;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.events.EventBus;
import dev.uat.events.HttpEventBus;
import dev.uat.events.InProcessEventBus;
import dev.uat.realtime.Realtime;
import dev.uat.realtime.RealtimeSettings;
import dev.uat.realtime.RedisEventBus;
import dev.uat.router.Router;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TelemetrySettings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code uat} command. */
@Command(
    name = "uat",
    mixinStandardHelpOptions = true,
    version = "uat 0.1.0",
    description =
        "Universal AI Tools: an LLM router, chat API and realtime hub, traced end to end.",
    subcommands = {Uat.Up.class, Uat.Serve.class})
public final class Uat implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    int code =
        new CommandLine(new Uat())
            .setExecutionExceptionHandler(
                (e, cmd, parsed) -> {
                  if (e instanceof Config.ConfigException) {
                    cmd.getErr().println("uat: " + e.getMessage());
                    return 2;
                  }
                  throw e;
                })
            .execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Settings every command takes; null means not given. */
  static class Common {
    @Option(names = "--config", description = "YAML settings file (default: ./uat.yaml if present)")
    Path config;

    @Option(names = "--data", description = "data directory (default ./data)")
    String data;

    @Option(
        names = "--host",
        description =
            "interface the edge listens on, where users reach it (default 127.0.0.1); the other"
                + " components keep to --internal-host")
    String host;

    @Option(
        names = "--internal-host",
        description =
            "interface api, router, realtime, the observatory and its receivers listen on"
                + " (default 127.0.0.1)")
    String internalHost;

    @Option(names = "--port-offset", description = "added to every port")
    String portOffset;

    @Option(names = "--provider", description = "auto, ollama, openai or echo (default auto)")
    String provider;

    @Option(names = "--ollama-url", description = "default http://127.0.0.1:11434")
    String ollamaUrl;

    @Option(
        names = "--openai-url",
        description = "base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    String openaiUrl;

    @Option(names = "--model", description = "default model")
    String model;

    @Option(
        names = "--otlp-endpoint",
        description = "OTLP/HTTP endpoint for traces (default: the embedded observatory)")
    String otlpEndpoint;

    @Option(names = "--jdbc-url", description = "database (default: H2 file in the data directory)")
    String jdbcUrl;

    @Option(
        names = "--redis-url",
        description =
            "Redis for realtime fan-out, history and presence, e.g. redis://127.0.0.1:6379")
    String redisUrl;

    Map<String, String> flags() {
      Map<String, String> f = new LinkedHashMap<>();
      f.put("data", data);
      f.put("host", host);
      f.put("internal-host", internalHost);
      f.put("port-offset", portOffset);
      f.put("provider", provider);
      f.put("ollama-url", ollamaUrl);
      f.put("openai-url", openaiUrl);
      f.put("model", model);
      f.put("otlp-endpoint", otlpEndpoint);
      f.put("jdbc-url", jdbcUrl);
      f.put("redis-url", redisUrl);
      return f;
    }

    Config load(Map<String, String> more) {
      Map<String, String> f = flags();
      f.putAll(more);
      return Config.load(config, System.getenv(), f);
    }
  }

  @Command(
      name = "up",
      mixinStandardHelpOptions = true,
      description = "Run every component in this JVM, each on its own port.")
  static final class Up extends Common implements Callable<Integer> {
    @Override
    public Integer call() throws InterruptedException {
      Config config = load(Map.of());
      long start = System.nanoTime();
      Platform platform = Platform.up(config);
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    System.out.println("\nstopping…");
                    platform.close();
                    stopped.countDown();
                  },
                  "uat-shutdown"));
      printUrls(System.out, config, platform, (System.nanoTime() - start) / 1_000_000);
      stopped.await();
      return 0;
    }
  }

  static void printUrls(PrintStream out, Config config, Platform p, long millis) {
    String e = p.edge().url();
    out.printf(
        "%nUniversal AI Tools is up in %d ms (data: %s)%n%n",
        millis, config.dataDir().toAbsolutePath());
    out.printf("  Web chat        %s/%n", e);
    out.printf("  Chat API        %s/api     (register: POST %s/api/auth/register)%n", e, e);
    out.printf("  OpenAI API      %s/v1      (models: GET %s/v1/models)%n", e, e);
    out.printf("  WebSocket       %s/ws%n", e.replaceFirst("^http", "ws"));
    out.printf(
        "  Traces          %s   (query API: %s/api/traces/<id>)%n",
        p.observatory().queryUrl(), p.observatory().queryUrl());
    out.printf(
        "  OTLP receivers  %s/v1/traces (HTTP) · %s (gRPC)%n",
        p.observatory().otlpUrl(), p.observatory().otlpGrpcUrl());
    out.printf("  Zipkin receiver %s/api/v2/spans%n", p.observatory().zipkinUrl());
    out.printf(
        "  Model provider  %s, default model %s%n",
        p.router().providerName(), p.router().defaultModel());
    out.printf(
        "  Services        api %s · router %s · realtime %s (each with /health/ready and /metrics)%n%n",
        p.api().url(), p.router().url(), p.realtime().url());
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description =
          "Run one component alone (distributed mode): edge, api, router, realtime or observatory.")
  static final class Serve extends Common implements Callable<Integer> {
    @Parameters(index = "0", description = "edge, api, router, realtime or observatory")
    String component;

    @Option(names = "--port", description = "port of this component (default: its standard port)")
    String port;

    @Option(names = "--api-url", description = "where the api is (for edge, realtime and router)")
    String apiUrl;

    @Option(names = "--router-url", description = "where the router is (for edge and api)")
    String routerUrl;

    @Option(names = "--realtime-url", description = "where realtime is (for edge and api)")
    String realtimeUrl;

    @Option(
        names = "--observatory-url",
        description = "the observatory UI the web client links traces to (for edge)")
    String observatoryUrl;

    @Override
    public Integer call() throws InterruptedException {
      Map<String, String> more = new LinkedHashMap<>();
      more.put("api-url", apiUrl);
      more.put("router-url", routerUrl);
      more.put("realtime-url", realtimeUrl);
      more.put("observatory-url", observatoryUrl);
      String portKey =
          switch (component) {
            case "edge", "api", "router", "realtime" -> component + "-port";
            case "observatory" -> "observatory-port";
            default ->
                throw new Config.ConfigException(
                    "unknown component '"
                        + component
                        + "': edge, api, router, realtime or observatory");
          };
      more.put(portKey, port);
      Config config = load(more);
      Deque<AutoCloseable> open = new ArrayDeque<>();
      String otlp =
          config.get("otlp-endpoint").orElse("http://127.0.0.1:" + config.port("otlp-port"));
      String url;
      try {
        if (!component.equals("edge") && !component.equals("realtime")) {
          DataDirectory.prepare(config.dataDir());
        }
        url = start(component, config, otlp, open);
      } catch (RuntimeException ex) {
        closeAll(open);
        throw ex;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    closeAll(open);
                    stopped.countDown();
                  },
                  "uat-shutdown"));
      System.out.printf("uat %s serving on %s — Ctrl-C to stop%n", component, url);
      stopped.await();
      return 0;
    }

    /**
     * Starts {@code component} from {@code config}, pushing what must be closed onto {@code open};
     * returns its URL.
     */
    static String start(String component, Config config, String otlp, Deque<AutoCloseable> open) {
      switch (component) {
        case "observatory" -> {
          Telemetry t =
              push(
                  open,
                  Telemetry.create(new TelemetrySettings("uat-observatory", otlp, false, false)));
          return push(open, Platform.observatory(config, t)).queryUrl();
        }
        case "router" -> {
          String apiUrl = stripSlash(config.require("api-url"));
          Telemetry t = telemetry(open, config, "uat-router", otlp);
          Credentials credentials =
              Router.credentials(
                  apiUrl, t, TokenVerifier.remote(apiUrl + "/api/auth/jwks", "uat-router"));
          if (config.get("redis-url").isPresent()) { // where the api announces revocations
            EventBus bus = push(open, RedisEventBus.connect(config.require("redis-url"), t));
            push(open, credentials.listen(bus));
          }
          return push(open, Platform.router(config, t, credentials, apiUrl)).url();
        }
        case "api" -> {
          Telemetry t = telemetry(open, config, "uat-api", otlp);
          JwtKeys keys = Platform.jwtKeys(config);
          EventBus bus =
              config.get("redis-url").isPresent()
                  ? push(open, RedisEventBus.connect(config.require("redis-url"), t))
                  : config.get("realtime-url").isPresent()
                      ? new HttpEventBus(t, config.require("realtime-url"), new TokenIssuer(keys))
                      : new InProcessEventBus();
          if (config.get("realtime-url").isEmpty() && config.get("redis-url").isEmpty()) {
            System.err.println(
                "uat: no --realtime-url: chat events will not reach any WebSocket client");
          }
          Api api = push(open, Platform.api(config, t, config.require("router-url"), bus, keys));
          return api.url();
        }
        case "realtime" -> {
          String apiUrl = config.require("api-url");
          Telemetry t = telemetry(open, config, "uat-realtime", otlp);
          Realtime r =
              Realtime.start(
                  RealtimeSettings.defaults(apiUrl)
                      .withHost(config.internalHost())
                      .withPort(config.port("realtime-port"))
                      .withExposure(config.exposure()),
                  t,
                  push(open, Platform.events(config, t)),
                  TokenVerifier.remote(stripSlash(apiUrl) + "/api/auth/jwks", Realtime.AUDIENCE));
          return push(open, r).url();
        }
        case "edge" -> {
          return push(
                  open,
                  Platform.edge(
                      config,
                      telemetry(open, config, "uat-edge", otlp),
                      config.require("api-url"),
                      config.require("router-url"),
                      config.require("realtime-url"),
                      config
                          .get("observatory-url")
                          .orElse("http://127.0.0.1:" + config.port("observatory-port"))))
              .url();
        }
        default -> throw new IllegalStateException(component);
      }
    }

    /** A component's SDK: OTLP/HTTP to {@code otlp}, or OTLP/gRPC when the protocol says grpc. */
    private static Telemetry telemetry(
        Deque<AutoCloseable> open, Config config, String service, String otlp) {
      String otlpGrpc =
          config.get("otlp-endpoint").orElse("http://127.0.0.1:" + config.port("otlp-grpc-port"));
      return push(
          open, Telemetry.create(new TelemetrySettings(service, otlp, false, true, otlpGrpc)));
    }
  }

  private static <T extends AutoCloseable> T push(Deque<AutoCloseable> open, T c) {
    open.push(c);
    return c;
  }

  private static void closeAll(Deque<AutoCloseable> open) {
    while (!open.isEmpty()) {
      try {
        open.pop().close();
      } catch (Exception e) {
        System.err.println("uat: error while stopping: " + e);
      }
    }
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
