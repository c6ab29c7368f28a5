package dev.uat.app;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.web.Json;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The real {@code uat up} as a child process, with exactly the launcher's JVM flags ({@code
 * app/jvm.options}: the 256 MiB heap every component shares) and its umask, on free ports and a
 * data directory of the test's. For tests that must prove the process survives what they do.
 */
final class LaunchedPlatform implements AutoCloseable {
  final Path data;
  final Map<String, String> env = new HashMap<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private Process process;

  LaunchedPlatform(Path data) throws IOException {
    this.data = data;
    for (String key : Config.PORTS) {
      env.put(Config.envName(key), Integer.toString(FreePorts.pick()));
    }
    env.put("UAT_BCRYPT_COST", "4");
  }

  /** The launcher's JVM flags, read from {@code app/jvm.options} as {@code ./uat} reads them. */
  static List<String> launcherJvmFlags() throws IOException {
    Path file = Path.of("jvm.options"); // surefire runs in the module's directory
    if (!Files.exists(file)) {
      file = Path.of("app", "jvm.options");
    }
    List<String> flags = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      int hash = line.indexOf('#');
      String flag = (hash < 0 ? line : line.substring(0, hash)).strip();
      if (!flag.isEmpty()) {
        flags.add(flag);
      }
    }
    return flags;
  }

  /** Starts {@code uat up --provider echo} and waits until the edge is ready. */
  LaunchedPlatform start() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(launcherJvmFlags());
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            Uat.class.getName(),
            "up",
            "--provider",
            "echo",
            "--data",
            data.toString()));
    StringBuilder shell = new StringBuilder("umask 077; exec");
    for (String arg : command) {
      shell.append(" '").append(arg.replace("'", "'\\''")).append('\'');
    }
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", shell.toString());
    pb.environment().putAll(env);
    pb.environment().put("MALLOC_ARENA_MAX", "2");
    pb.redirectErrorStream(true);
    Files.createDirectories(data.getParent());
    pb.redirectOutput(
        ProcessBuilder.Redirect.appendTo(
            data.resolveSibling(data.getFileName() + ".log").toFile()));
    process = pb.start();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> call("GET", url("edge") + "/health/ready", null, null).statusCode() == 200);
    return this;
  }

  /** The process's log (standard output and error). */
  Path log() {
    return data.resolveSibling(data.getFileName() + ".log");
  }

  Process process() {
    return process;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** {@code http://127.0.0.1:<port>} of a component: edge, api, router, realtime, observatory. */
  String url(String component) {
    String key = component.equals("observatory") ? "observatory-port" : component + "-port";
    return "http://127.0.0.1:" + env.get(Config.envName(key));
  }

  String port(String key) {
    return env.get(Config.envName(key));
  }

  /** The process's resident set size in MiB (Linux), or -1. */
  long rssMiB() {
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  HttpResponse<String> call(String method, String url, String token, String body)
      throws IOException, InterruptedException {
    return ChatTrace.send(http, method, url, token, body);
  }

  /** Registers (if new) and logs in through the edge; the access token. */
  String login(String email, String password) throws IOException, InterruptedException {
    String body = "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}";
    call("POST", url("edge") + "/api/auth/register", null, body);
    return json(call("POST", url("edge") + "/api/auth/login", null, body))
        .get("access_token")
        .asText();
  }

  /** The value of one sample on a component's {@code /metrics} (summed over labels), or 0. */
  double metric(String component, String name) throws IOException, InterruptedException {
    double sum = 0;
    for (String line : call("GET", url(component) + "/metrics", null, null).body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  static JsonNode json(HttpResponse<String> r) throws IOException {
    return Json.MAPPER.readTree(r.body());
  }

  /** Stops the process (SIGTERM, then SIGKILL after 20 s). */
  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
