package dev.uat.it.reliability;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real launcher's {@code uat up} (or {@code uat serve <component>}) as a child process: {@code
 * java <app/jvm.options> -jar app/target/uat.jar …}, exactly what {@code ./uat} execs, with umask
 * 077, on free loopback ports given as the documented {@code UAT_*_PORT} variables. Only the
 * process, HTTP and {@code /proc} are used: no class of the platform. Not thread-safe for
 * start/close; {@link #call} is.
 */
final class Platform implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> PORT_KEYS =
      List.of("edge", "api", "router", "realtime", "observatory", "otlp", "otlp-grpc", "zipkin");

  final Path data;
  final Map<String, String> env = new LinkedHashMap<>();
  final Map<String, Integer> ports = new LinkedHashMap<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<String> args = new ArrayList<>();
  private Process process;

  /** {@code uat up --provider echo --data <data>} plus {@code extra} arguments. */
  static Platform up(Path data, String... extra) throws IOException {
    Platform p = new Platform(data);
    p.args.addAll(List.of("up", "--provider", "echo", "--data", data.toString()));
    p.args.addAll(List.of(extra));
    return p;
  }

  /** Any launcher command line, e.g. {@code serve api --jdbc-url …}. */
  static Platform command(Path data, String... args) throws IOException {
    Platform p = new Platform(data);
    p.args.addAll(List.of(args));
    return p;
  }

  private Platform(Path data) throws IOException {
    this.data = data;
    for (String key : PORT_KEYS) {
      int port = freePort();
      ports.put(key, port);
      env.put("UAT_" + key.toUpperCase().replace('-', '_') + "_PORT", Integer.toString(port));
    }
    env.put("UAT_BCRYPT_COST", "4");
    env.put("MALLOC_ARENA_MAX", "2");
  }

  static Path root() {
    Path here = Path.of("").toAbsolutePath();
    return Files.isDirectory(here.resolve("deploy")) ? here : here.getParent();
  }

  /** The launcher's JVM flags, from {@code app/jvm.options} as {@code ./uat} reads them. */
  static List<String> jvmFlags() throws IOException {
    List<String> flags = new ArrayList<>();
    for (String line : Files.readAllLines(root().resolve("app/jvm.options"))) {
      int hash = line.indexOf('#');
      String flag = (hash < 0 ? line : line.substring(0, hash)).strip();
      if (!flag.isEmpty()) {
        flags.add(flag);
      }
    }
    return flags;
  }

  /** The full command line {@code ./uat} would exec. */
  List<String> commandLine() throws IOException {
    List<String> c = new ArrayList<>();
    c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    c.addAll(jvmFlags());
    c.add("-jar");
    c.add(root().resolve("app/target/uat.jar").toString());
    c.addAll(args);
    return c;
  }

  /** Starts and waits (at most 180 s) until {@code readyComponent}'s /health/ready is 200. */
  Platform start(String readyComponent) throws IOException {
    StringBuilder shell = new StringBuilder("umask 077; exec");
    for (String arg : commandLine()) {
      shell.append(" '").append(arg.replace("'", "'\\''")).append('\'');
    }
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", shell.toString());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    Files.createDirectories(data.getParent());
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
    process = pb.start();
    try {
      await()
          .atMost(Duration.ofSeconds(180)) // a loaded 2-core CI machine takes its time
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions()
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new AssertionError("uat exited:\n" + Files.readString(log()));
                }
                return get(url(readyComponent) + "/health/ready").statusCode() == 200;
              });
    } catch (RuntimeException | Error e) {
      System.err.println(Files.readString(log()));
      throw e;
    }
    return this;
  }

  Platform start() throws IOException {
    return start("edge");
  }

  Path log() {
    return data.resolveSibling(data.getFileName() + ".log");
  }

  String logText() throws IOException {
    return Files.exists(log()) ? Files.readString(log()) : "";
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  String url(String component) {
    return "http://127.0.0.1:" + ports.get(component);
  }

  HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return call("GET", url, null, null);
  }

  HttpResponse<String> call(String method, String url, String token, String body)
      throws IOException, InterruptedException {
    return call(method, url, token, body, "application/json");
  }

  HttpResponse<String> call(String method, String url, String token, String body, String type)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null && type != null) {
      b.header("Content-Type", type);
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String url, String type, byte[] body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Registers (if new) and logs in through the edge; the access token. */
  String login(String email) throws IOException, InterruptedException {
    String body = "{\"email\":\"" + email + "\",\"password\":\"a long password 1\"}";
    call("POST", url("edge") + "/api/auth/register", null, body);
    HttpResponse<String> r = call("POST", url("edge") + "/api/auth/login", null, body);
    if (r.statusCode() != 200) {
      throw new AssertionError("login: " + r.statusCode() + " " + r.body());
    }
    return json(r).get("access_token").asText();
  }

  static JsonNode json(HttpResponse<String> r) throws IOException {
    return JSON.readTree(r.body());
  }

  /** The sum of one metric's samples on a component's /metrics whose line contains {@code has}. */
  double metric(String component, String name, String has)
      throws IOException, InterruptedException {
    double sum = 0;
    for (String line : get(url(component) + "/metrics").body().split("\n")) {
      if ((line.startsWith(name + " ") || line.startsWith(name + "{")) && line.contains(has)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  double metric(String component, String name) throws IOException, InterruptedException {
    return metric(component, name, "");
  }

  /** A line of /proc/<pid>/status, as a number (VmRSS in kB, Threads). */
  long status(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return -1;
  }

  long rssMiB() {
    return status("VmRSS") / 1024;
  }

  long threads() {
    return status("Threads");
  }

  long fds() {
    try (var s = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
      return s.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Established TCP connections of the process (sockets in /proc/<pid>/fd matched to
   * /proc/net/tcp*).
   */
  long establishedConnections() {
    try {
      List<String> inodes = new ArrayList<>();
      try (var s = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
        for (Path fd : s.toList()) {
          try {
            String t = Files.readSymbolicLink(fd).toString();
            Matcher m = Pattern.compile("socket:\\[(\\d+)]").matcher(t);
            if (m.matches()) {
              inodes.add(m.group(1));
            }
          } catch (IOException e) {
            // closed meanwhile
          }
        }
      }
      long n = 0;
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.strip().split("\\s+");
          if (f.length > 9 && f[3].equals("01") && inodes.contains(f[9])) {
            n++;
          }
        }
      }
      return n;
    } catch (IOException e) {
      return -1;
    }
  }

  /** Lines of the log that look like a Java stack trace (a frame, or an exception heading). */
  List<String> stackTraceLines() throws IOException {
    return logText()
        .lines()
        .filter(l -> l.startsWith("\tat ") || l.matches("^\\s+at [a-zA-Z_$][\\w.$]*\\(.*"))
        .toList();
  }

  /**
   * The log events (their first line) that carry a stack trace, except those whose first line
   * contains one of {@code known} (a finding reported elsewhere).
   */
  List<String> stackTraceEvents(String... known) throws IOException {
    List<String> out = new ArrayList<>();
    String event = "";
    boolean reported = false;
    for (String line : logText().lines().toList()) {
      boolean frame = line.startsWith("\tat ") || line.matches("^\\s+at [a-zA-Z_$][\\w.$]*\\(.*");
      if (!frame && line.matches("^\\d\\d:\\d\\d:\\d\\d.*")) {
        event = line;
        reported = false;
      } else if (frame && !reported) {
        boolean isKnown = false;
        for (String k : known) {
          isKnown |= event.contains(k);
        }
        if (!isKnown) {
          out.add(event + " / " + line.strip());
        }
        reported = true;
      }
    }
    return out;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** SIGTERM, then SIGKILL after 20 s. */
  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
