package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.web.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of the platform while chats are under way loses no message that was acknowledged
 * to a client: the platform runs as a child process (the real {@code uat up}), is killed with
 * SIGKILL mid-load, restarted on the same data directory, and every acknowledged question and
 * answer is read back.
 */
@Timeout(180)
class CrashDurabilityTest {
  @TempDir Path data;
  private final HttpClient http = HttpClient.newHttpClient();

  record Acknowledged(String conversationId, String question, String answerId) {}

  @Test
  void killedMidLoadTheProcessLosesNoAcknowledgedMessage() throws Exception {
    Map<String, String> ports = ports();
    String api = "http://127.0.0.1:" + ports.get("UAT_API_PORT");

    Process first = start(ports);
    String token;
    List<Acknowledged> acked;
    try {
      awaitReady(api);
      call(
          "POST",
          api + "/api/auth/register",
          null,
          "{\"email\":\"crash@example.com\",\"password\":\"survive this\"}");
      token =
          json(call(
                  "POST",
                  api + "/api/auth/login",
                  null,
                  "{\"email\":\"crash@example.com\",\"password\":\"survive this\"}"))
              .get("access_token")
              .asText();
      acked = loadUntilKilled(api, token, first);
    } finally {
      first.destroyForcibly().waitFor();
    }
    assertThat(acked).as("chats acknowledged before the kill").hasSizeGreaterThan(10);

    Process second = start(ports);
    try {
      awaitReady(api);
      String again =
          json(call(
                  "POST",
                  api + "/api/auth/login",
                  null,
                  "{\"email\":\"crash@example.com\",\"password\":\"survive this\"}"))
              .get("access_token")
              .asText();
      for (Acknowledged a : acked) {
        JsonNode conversation =
            json(call("GET", api + "/api/conversations/" + a.conversationId(), again, null));
        List<String> contents = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        conversation
            .get("messages")
            .forEach(
                m -> {
                  contents.add(m.get("content").asText());
                  ids.add(m.get("id").asText());
                });
        assertThat(contents).as("question of %s", a).contains(a.question());
        assertThat(ids).as("answer of %s", a).contains(a.answerId());
      }
    } finally {
      second.destroy();
      second.waitFor();
    }
  }

  /** Chats from 4 clients; SIGKILLs the process once 20 chats are acknowledged. */
  private List<Acknowledged> loadUntilKilled(String api, String token, Process process)
      throws Exception {
    ConcurrentLinkedQueue<Acknowledged> acked = new ConcurrentLinkedQueue<>();
    AtomicBoolean killed = new AtomicBoolean();
    AtomicInteger sequence = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(4);
    for (int c = 0; c < 4; c++) {
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  while (!killed.get()) {
                    String question = "question " + sequence.incrementAndGet();
                    try {
                      var r =
                          call(
                              "POST",
                              api + "/api/chat",
                              token,
                              "{\"message\":\"" + question + "\"}");
                      if (r.statusCode() == 200) {
                        JsonNode body = json(r);
                        acked.add(
                            new Acknowledged(
                                body.get("conversation_id").asText(),
                                question,
                                body.at("/message/id").asText()));
                      }
                    } catch (IOException e) {
                      // the process is gone: this chat was never acknowledged
                    }
                    if (acked.size() >= 20 && killed.compareAndSet(false, true)) {
                      process.destroyForcibly(); // SIGKILL, while the other clients are mid-request
                    }
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                } finally {
                  done.countDown();
                }
              });
    }
    done.await();
    process.waitFor();
    return new ArrayList<>(acked);
  }

  private Process start(Map<String, String> ports) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:+UseSerialGC",
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            Uat.class.getName(),
            "up",
            "--provider",
            "echo",
            "--data",
            data.toString());
    pb.environment().putAll(ports);
    pb.environment().put("UAT_BCRYPT_COST", "4");
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("uat.log").toFile()));
    return pb.start();
  }

  private void awaitReady(String api) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> call("GET", api + "/health/ready", null, null).statusCode() == 200);
  }

  private static Map<String, String> ports() throws IOException {
    Map<String, String> env = new java.util.HashMap<>();
    for (String key : Config.PORTS) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        env.put(Config.envName(key), Integer.toString(s.getLocalPort()));
      }
    }
    return env;
  }

  private HttpResponse<String> call(String method, String url, String token, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    return Json.MAPPER.readTree(r.body());
  }
}
