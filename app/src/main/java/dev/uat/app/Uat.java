package dev.uat.app;

import dev.uat.web.Closer;
import io.javalin.util.JavalinBindException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
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
    int code = run(new PrintWriter(System.err, true), args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * Runs the command; a configuration mistake or a port already in use is one {@code uat:} line on
   * {@code err} and exit code 2, never a stack trace.
   */
  static int run(PrintWriter err, String... args) {
    return commandLine()
        .setErr(err)
        .setExecutionExceptionHandler(
            (e, cmd, parsed) -> {
              if (e instanceof Config.ConfigException) {
                cmd.getErr().println("uat: " + e.getMessage());
                return 2;
              }
              for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BindException || t instanceof JavalinBindException) {
                  cmd.getErr()
                      .println(
                          "uat: cannot listen: "
                              + t.getMessage()
                              + " (choose other ports with --port-offset or the *-port settings)");
                  return 2;
                }
              }
              throw e;
            })
        .execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /**
   * Flags that set the {@link Config} key of the same name ({@code --ollama-url X} is {@code
   * ollama-url: X} in {@code uat.yaml}), taken by every command.
   */
  private static final String[][] COMMON_FLAGS = {
    {"data", "data directory (default ./data)"},
    {
      "host",
      "interface the edge listens on, where users reach it (default 127.0.0.1); the other"
          + " components keep to --internal-host"
    },
    {
      "internal-host",
      "interface api, router, realtime, the observatory and its receivers listen on"
          + " (default 127.0.0.1)"
    },
    {"port-offset", "added to every port"},
    {"provider", "auto, ollama, openai or echo (default auto)"},
    {"ollama-url", "default http://127.0.0.1:11434"},
    {"openai-url", "base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1"},
    {"model", "default model"},
    {"otlp-endpoint", "OTLP/HTTP endpoint for traces (default: the embedded observatory)"},
    {"jdbc-url", "database (default: H2 file in the data directory)"},
    {"redis-url", "Redis for realtime fan-out, history and presence, e.g. redis://127.0.0.1:6379"},
  };

  /** The peers a component started alone talks to. */
  private static final String[][] SERVE_FLAGS = {
    {"api-url", "where the api is (for edge, realtime and router)"},
    {"router-url", "where the router is (for edge and api)"},
    {"realtime-url", "where realtime is (for edge and api)"},
    {"observatory-url", "the observatory UI the web client links traces to (for edge)"},
  };

  /** The command line, with the flag tables above added to each subcommand. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Uat());
    for (CommandLine sub : cli.getSubcommands().values()) {
      Common command = sub.getCommand();
      command.addFlags(sub.getCommandSpec(), COMMON_FLAGS);
      if (command instanceof Serve) {
        command.addFlags(sub.getCommandSpec(), SERVE_FLAGS);
      }
    }
    return cli;
  }

  /** Settings every command takes; a key absent from {@link #flags} was not given. */
  static class Common {
    @Option(names = "--config", description = "YAML settings file (default: ./uat.yaml if present)")
    Path config;

    final Map<String, String> flags = new LinkedHashMap<>();

    void addFlags(CommandSpec spec, String[][] table) {
      for (String[] flag : table) {
        String key = flag[0];
        spec.addOption(
            OptionSpec.builder("--" + key)
                .paramLabel("<" + key + ">")
                .type(String.class)
                .description(flag[1])
                .setter(
                    new ISetter() {
                      @Override
                      public <T> T set(T value) {
                        flags.put(key, (String) value);
                        return null;
                      }
                    })
                .build());
      }
    }

    Config load(Map<String, String> more) {
      Map<String, String> f = new LinkedHashMap<>(flags);
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

    @Override
    public Integer call() throws InterruptedException {
      Wiring.Component which = Wiring.Component.named(component);
      Map<String, String> more = new LinkedHashMap<>();
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
