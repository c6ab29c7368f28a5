package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.web.Json;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  record Acknowledged(String conversationId, String question, String answerId) {}

  @Test
  void killedMidLoadTheProcessLosesNoAcknowledgedMessage() throws Exception {
    LaunchedPlatform platform = new LaunchedPlatform(data.resolve("uat"));
    String api = platform.url("api");
    List<Acknowledged> acked;
    try {
      platform.start();
      String token = platform.login("crash@example.com", "survive this");
      acked = loadUntilKilled(platform, api, token, platform.process());
    } finally {
      platform.process().destroyForcibly().waitFor();
    }
    assertThat(acked).as("chats acknowledged before the kill").hasSizeGreaterThan(10);

    try (LaunchedPlatform second = platform.start()) {
      String again = second.login("crash@example.com", "survive this");
      for (Acknowledged a : acked) {
        JsonNode conversation =
            json(second.call("GET", api + "/api/conversations/" + a.conversationId(), again, null));
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
    }
  }

  /** Chats from 4 clients; SIGKILLs the process once 20 chats are acknowledged. */
  private List<Acknowledged> loadUntilKilled(
      LaunchedPlatform platform, String api, String token, Process process) throws Exception {
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
                          platform.call(
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

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    return Json.MAPPER.readTree(r.body());
  }
}
