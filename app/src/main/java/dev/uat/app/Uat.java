package dev.uat.app;

import dev.uat.web.Closer;
import java.io.PrintStream;
import java.nio.file.Path;
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
      Wiring.Component which = Wiring.Component.named(component);
      more.put(which.id() + "-port", port);
      Config config = load(more);
      Closer closer = new Closer();
      String url = closer.startOrClose(() -> start(which, config, closer).url());
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    closer.close();
                    stopped.countDown();
                  },
                  "uat-shutdown"));
      System.out.printf("uat %s serving on %s — Ctrl-C to stop%n", component, url);
      stopped.await();
      return 0;
    }

    /** Starts one component from {@code config} as {@code uat serve} does. */
    static Wiring.Started start(Wiring.Component component, Config config, Closer closer) {
      return new Wiring(config, closer, Wiring.Mode.DISTRIBUTED).start(component);
    }
  }
}
