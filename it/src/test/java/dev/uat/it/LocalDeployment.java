package dev.uat.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code deploy/local/run} as a child process: the distributed deployment on free loopback ports
 * (its documented {@code UAT_LOCAL_*_PORT} overrides), state in a directory of the test's. {@link
 * #close()} stops it with SIGTERM (the script stops everything it started) and then kills, by pid,
 * whatever it left. Not thread-safe.
 */
final class LocalDeployment implements AutoCloseable {
  static final List<String> PORTS =
      List.of(
          "EDGE",
          "INTERNAL",
          "API1",
          "API2",
          "ROUTER1",
          "ROUTER2",
          "REALTIME1",
          "REALTIME2",
          "WEB",
          "OBSERVATORY",
          "OTLP",
          "OTLP_GRPC",
          "ZIPKIN",
          "PG",
          "REDIS",
          "PROMETHEUS",
          "ALERTMANAGER");

  final Path state;
  final Map<String, Integer> ports = new LinkedHashMap<>();
  final Map<String, String> env = new LinkedHashMap<>();
  private Process process;
  private Path output;

  LocalDeployment(Path state) throws IOException {
    this.state = state;
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (String name : PORTS) {
        ServerSocket s = belowEphemeralRange();
        held.add(s);
        ports.put(name, s.getLocalPort());
        env.put("UAT_LOCAL_" + name + "_PORT", Integer.toString(s.getLocalPort()));
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    env.put("UAT_LOCAL_STATE", state.toString());
    env.put("UAT_LOCAL_NO_BUILD", "1");
    env.put("UAT_BCRYPT_COST", "4");
    // this test's JDK is the launcher's choice too
    env.put("JAVA_HOME", System.getProperty("java.home"));
    // if this JVM dies without closing, the script stops everything by itself
    env.put("UAT_LOCAL_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
  }

  /** Starts the deployment and waits (at most {@code timeout}) until the script says ready. */
  LocalDeployment start(Duration timeout) throws IOException {
    output = Files.createTempFile("uat-local-run-", ".log");
    ProcessBuilder pb =
        new ProcessBuilder("bash", Tools.root().resolve("deploy/local/run").toString());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(output.toFile());
    process = pb.start();
    try {
      await()
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                String out = Files.readString(output);
                if (!process.isAlive()) {
                  throw new AssertionError("deploy/local/run exited:\n" + out + logs());
                }
                return out.contains("local: ready");
              });
    } catch (RuntimeException | Error e) {
      System.err.println(Files.readString(output) + logs());
      throw e;
    }
    return this;
  }

  String output() throws IOException {
    return Files.readString(output);
  }

  /** The last lines of every log of the deployment, for failure messages. */
  String logs() {
    StringBuilder b = new StringBuilder();
    try (var files = Files.list(state.resolve("logs"))) {
      for (Path f : files.sorted().toList()) {
        List<String> lines = Files.readAllLines(f);
        b.append("\n== ").append(f.getFileName()).append('\n');
        lines
            .subList(Math.max(0, lines.size() - 15), lines.size())
            .forEach(l -> b.append(l).append('\n'));
      }
    } catch (IOException e) {
      b.append("(no logs: ").append(e).append(")");
    }
    return b.toString();
  }

  String url(String port) {
    return "http://127.0.0.1:" + ports.get(port);
  }

  Optional<ProcessHandle> process(String name) throws IOException {
    Path pid = state.resolve("pids/" + name + ".pid");
    if (!Files.exists(pid)) {
      return Optional.empty();
    }
    return ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()));
  }

  /** Kills one process of the deployment abruptly (SIGKILL), as a crash would. */
  void kill(String name) throws Exception {
    ProcessHandle p = process(name).orElseThrow(() -> new AssertionError("no process " + name));
    p.destroyForcibly();
    p.onExit().get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    if (process == null) {
      return;
    }
    List<ProcessHandle> started = new ArrayList<>();
    try (var pids = Files.list(state.resolve("pids"))) {
      for (Path f : pids.toList()) {
        ProcessHandle.of(Long.parseLong(Files.readString(f).strip())).ifPresent(started::add);
      }
    } catch (IOException | NumberFormatException e) {
      // nothing started yet
    }
    process.destroy(); // SIGTERM: the script stops what it started
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    for (ProcessHandle p : started) {
      if (p.isAlive()) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
  }

  /**
   * A bound socket on a free port below the kernel's ephemeral range (32768-60999 here): a port
   * from that range, once released, can be handed to an outgoing connection before the deployment
   * binds it.
   */
  private static ServerSocket belowEphemeralRange() throws IOException {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = java.util.concurrent.ThreadLocalRandom.current().nextInt(20_000, 32_000);
      try {
        return new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
      } catch (IOException e) {
        // taken: another
      }
    }
    throw new IOException("no free port between 20000 and 32000");
  }
}
