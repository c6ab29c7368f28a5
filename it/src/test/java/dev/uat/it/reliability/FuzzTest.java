package dev.uat.it.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded mutation fuzzer ({@link Mutator}) against the real entry points of one started {@code
 * uat up}: the OTLP/HTTP receiver (protobuf and JSON), the Zipkin receiver, the api's and the
 * router's JSON bodies through the edge, WebSocket frames to the realtime hub, and YAML settings
 * files given to {@code uat up --config}. Every answer must be below 500, except the documented
 * 503s of a spent budget ({@code edge_busy}, {@code overloaded}); the process must stay alive and
 * log no stack trace. Each finding is written to {@code target/fuzz-findings/} with its input.
 *
 * <p>In the suite it runs {@code uat.fuzz.seconds} (default 20) of HTTP inputs, 20 s of WebSocket
 * frames and 4 YAML files; {@code bench/scripts/fuzz-http.sh} sets {@code uat.fuzz.inputs} (and the
 * seed, {@code uat.fuzz.seed}) for long runs.
 */
class FuzzTest {
  static final long SEED = Long.getLong("uat.fuzz.seed", 13L);
  static final long INPUTS = Long.getLong("uat.fuzz.inputs", 0L);
  static final int SECONDS = Integer.getInteger("uat.fuzz.seconds", 15);
  static final long WS_INPUTS = Long.getLong("uat.fuzz.ws.inputs", 0L);
  static final int YAML_INPUTS = Integer.getInteger("uat.fuzz.yaml", 4);

  @TempDir static Path dir;
  static Platform p;
  static String token;
  static final Path FINDINGS = Path.of("target", "fuzz-findings");
  static final ConcurrentLinkedQueue<String> findings = new ConcurrentLinkedQueue<>();
  static final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  static final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();

  record Target(
      String name, String url, String type, List<byte[]> seeds, boolean json, boolean auth) {}

  @BeforeAll
  static void start() throws Exception {
    p = Platform.up(dir.resolve("data"));
    p.env.put("UAT_RATE_LIMIT_CHATS", "0");
    p.env.put("UAT_RATE_LIMIT_REQUESTS", "0");
    p.env.put("UAT_RATE_LIMIT_LOGINS", "0");
    p.start();
    token = p.login("fuzz@example.com");
    Files.createDirectories(FINDINGS);
  }

  @AfterAll
  static void stop() throws Exception {
    System.out.println("fuzz inputs per target (seed " + SEED + "): " + counts);
    System.out.println("fuzz statuses: " + statuses);
    if (p != null) {
      p.close();
    }
  }

  List<Target> targets() {
    String edge = p.url("edge");
    String otlp = p.url("otlp");
    return List.of(
        new Target(
            "otlp-protobuf",
            otlp + "/v1/traces",
            "application/x-protobuf",
            Seeds.otlpProtobuf(),
            false,
            false),
        new Target(
            "otlp-json", otlp + "/v1/traces", "application/json", Seeds.otlpJson(), true, false),
        new Target(
            "zipkin",
            p.url("zipkin") + "/api/v2/spans",
            "application/json",
            Seeds.zipkin(),
            true,
            false),
        new Target(
            "api-register",
            edge + "/api/auth/register",
            "application/json",
            Seeds.register(),
            true,
            false),
        new Target(
            "api-login",
            edge + "/api/auth/login",
            "application/json",
            Seeds.register(),
            true,
            false),
        new Target("api-chat", edge + "/api/chat", "application/json", Seeds.chat(), true, true),
        new Target(
            "api-conversations",
            edge + "/api/conversations",
            "application/json",
            Seeds.conversation(),
            true,
            true),
        new Target("api-keys", edge + "/api/keys", "application/json", Seeds.keys(), true, true),
        new Target(
            "router-chat",
            edge + "/v1/chat/completions",
            "application/json",
            Seeds.completions(),
            true,
            true),
        new Target(
            "router-embeddings",
            edge + "/v1/embeddings",
            "application/json",
            Seeds.embeddings(),
            true,
            true));
  }

  @Test
  void httpEntryPointsAnswerEveryMutatedBodyBelow500AndSurvive() throws Exception {
    List<Target> targets = targets();
    long deadline = System.nanoTime() + Duration.ofSeconds(SECONDS).toNanos();
    AtomicLong sent = new AtomicLong();
    int threads = 6;
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      for (int t = 0; t < threads; t++) {
        long threadSeed = SEED * 1_000 + t;
        pool.submit(
            () -> {
              Mutator m = new Mutator(threadSeed);
              Random pick = new Random(threadSeed);
              while (INPUTS > 0 ? sent.getAndIncrement() < INPUTS : System.nanoTime() < deadline) {
                Target target = targets.get(pick.nextInt(targets.size()));
                byte[] input = m.mutate(target.seeds(), target.json());
                try {
                  send(target, input);
                } catch (Exception e) {
                  finding(target.name(), "no answer: " + e, input);
                }
                if (sent.get() % 5_000 == 0 && !p.alive()) {
                  return null;
                }
              }
              return null;
            });
      }
    }
    assertThat(p.alive()).as("the process survived").isTrue();
    afterwardsAllIsWell();
    assertThat(findings).as("findings (inputs in " + FINDINGS.toAbsolutePath() + ")").isEmpty();
  }

  static void send(Target target, byte[] input) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(target.url()))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", target.type())
            .POST(HttpRequest.BodyPublishers.ofByteArray(input));
    if (target.auth()) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = p.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    counts.computeIfAbsent(target.name(), k -> new LongAdder()).increment();
    statuses
        .computeIfAbsent(target.name() + ":" + r.statusCode(), k -> new LongAdder())
        .increment();
    int s = r.statusCode();
    if (s >= 500 && !documentedBusy(r)) {
      finding(target.name(), s + " " + r.body(), input);
    }
    if (s < 500 && s >= 400 && !r.body().isEmpty() && !r.body().startsWith("{")) {
      // errors are JSON everywhere (README)
      finding(target.name(), "non-JSON error " + s + " " + r.body(), input);
    }
  }

  static boolean documentedBusy(HttpResponse<String> r) {
    return r.statusCode() == 503
        && (r.body().contains("\"edge_busy\"") || r.body().contains("\"overloaded\""));
  }

  static void finding(String target, String what, byte[] input) {
    if (findings.size() > 200) {
      return;
    }
    String name = target + "-" + findings.size() + ".bin";
    try {
      Files.write(FINDINGS.resolve(name), input);
    } catch (Exception e) {
      // keep the message at least
    }
    String shown = what.length() > 300 ? what.substring(0, 300) + "…" : what;
    findings.add(
        target
            + ": "
            + shown
            + " (input "
            + name
            + ", "
            + input.length
            + " bytes"
            + (input.length < 200 ? ": " + Base64.getEncoder().encodeToString(input) : "")
            + ")");
  }

  static void afterwardsAllIsWell() throws Exception {
    HttpResponse<String> chat =
        p.call("POST", p.url("edge") + "/api/chat", token, "{\"message\":\"after the fuzz\"}");
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    assertThat(p.stackTraceLines()).as("stack traces in the log").isEmpty();
  }

  @Test
  void webSocketFramesOfAnyShapeNeverHurtTheHub() throws Exception {
    Mutator m = new Mutator(SEED);
    Random r = new Random(SEED);
    long deadline = System.nanoTime() + Duration.ofSeconds(SECONDS).toNanos();
    long frames = 0;
    List<Integer> closeCodes = new ArrayList<>();
    while (WS_INPUTS > 0 ? frames < WS_INPUTS : System.nanoTime() < deadline) {
      try (RawWebSocket ws =
          new RawWebSocket(
              p.ports.get("realtime"), "/ws", "Authorization: Bearer " + token + "\r\n")) {
        assertThat(ws.handshakeStatus).contains(" 101 ");
        for (int i = 0; i < 30; i++) {
          byte[] payload = m.mutate(Seeds.wsFrames(), true);
          frames++;
          int kind = r.nextInt(20);
          try {
            if (kind == 0) {
              // any first byte: reserved bits, unknown opcodes, fragments
              ws.frame(
                  r.nextInt(256),
                  payload.length > 125 ? Mutator.slice(payload, 0, 125) : payload,
                  r.nextBoolean());
            } else if (kind == 1) {
              ws.frame(0x82, payload, true); // binary: 4002
            } else {
              ws.frame(0x81, payload, true);
            }
          } catch (java.io.IOException closed) {
            break; // the hub closed the connection: its right
          }
        }
        int code = ws.readUntilClose(300);
        if (code > 0 && closeCodes.size() < 1_000) {
          closeCodes.add(code);
        }
      }
    }
    counts.computeIfAbsent("ws-frames", k -> new LongAdder()).add(frames);
    System.out.println("ws close codes seen: " + closeCodes.stream().distinct().sorted().toList());
    assertThat(closeCodes).as("1011 is a server error").doesNotContain(1011);
    assertThat(p.alive()).isTrue();
    afterwardsAllIsWell();
  }

  @Test
  void generatedSettingsFilesEndWithExitCode2AndAMessageNeverAStackTrace() throws Exception {
    Mutator m = new Mutator(SEED);
    List<String> failures = new ArrayList<>();
    List<String> command = new ArrayList<>();
    for (int i = 0; i < YAML_INPUTS; i++) {
      Path config = dir.resolve("fuzz-" + i + ".yaml");
      Files.write(config, m.mutate(Seeds.yaml(), false));
      // a data directory that cannot be made: a file that parses still ends in exit code 2
      Platform uat =
          Platform.command(
              dir.resolve("unused"), "up", "--config", config.toString(), "--data", "/dev/null/x");
      command = uat.commandLine();
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().keySet().removeIf(k -> k.startsWith("UAT_"));
      Process proc = pb.start();
      String out = new String(proc.getInputStream().readAllBytes());
      proc.waitFor();
      counts.computeIfAbsent("yaml", k -> new LongAdder()).increment();
      if (proc.exitValue() != 2 || !out.startsWith("uat: ") || out.contains("\tat ")) {
        failures.add(
            proc.exitValue() + " for " + new String(Files.readAllBytes(config)) + "\n→ " + out);
        Files.copy(
            config,
            FINDINGS.resolve("yaml-" + i + ".yaml"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } else if (out.contains("Exception")) {
        // a message, but one that names a Java class: reported, not failed
        System.out.println("fuzz yaml message naming an exception class: " + out.strip());
      }
    }
    assertThat(failures).isEmpty();
  }
}
