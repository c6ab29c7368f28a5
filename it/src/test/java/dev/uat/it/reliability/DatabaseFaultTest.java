package dev.uat.it.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL stopped under a running {@code uat up --jdbc-url jdbc:postgresql://…}: requests that
 * need the database get 503 {@code database_unavailable} in the JSON error shape, the api's {@code
 * /health/ready} is not ready, the service resumes by itself when PostgreSQL is started again, and
 * every chat acknowledged before, during and after is stored with its answer.
 */
class DatabaseFaultTest {

  @Test
  void postgresStoppedMidRunIs503ThenResumesAndNothingAcknowledgedIsLost(@TempDir Path dir)
      throws Exception {
    try (PgCluster pg = PgCluster.start(dir.resolve("pg"));
        Platform p = Platform.up(dir.resolve("data"), "--jdbc-url", pg.jdbcUrl())) {
      p.env.put("UAT_JDBC_USER", "uat");
      p.env.put("UAT_RATE_LIMIT_CHATS", "0");
      p.env.put("UAT_RATE_LIMIT_REQUESTS", "0");
      p.start();
      String token = p.login("db-fault@example.com");

      Map<String, String> acknowledged = new ConcurrentHashMap<>(); // conversation → question
      AtomicInteger refused = new AtomicInteger();
      List<String> unexpected = new ArrayList<>();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger n = new AtomicInteger();
      Thread load =
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (running.get()) {
                      String q = "question " + n.incrementAndGet();
                      try {
                        HttpResponse<String> r =
                            p.call(
                                "POST",
                                p.url("edge") + "/api/chat",
                                token,
                                "{\"message\":\"" + q + "\"}");
                        if (r.statusCode() == 200) {
                          acknowledged.put(Platform.json(r).get("conversation_id").asText(), q);
                        } else if (r.statusCode() == 503
                            && Platform.json(r)
                                .path("error")
                                .path("code")
                                .asText()
                                .equals("database_unavailable")) {
                          refused.incrementAndGet();
                        } else {
                          synchronized (unexpected) {
                            unexpected.add(r.statusCode() + " " + r.body());
                          }
                        }
                      } catch (Exception e) {
                        synchronized (unexpected) {
                          unexpected.add(e.toString());
                        }
                      }
                    }
                  });
      await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 10);

      // chats keep running through the stop: a chat in flight, or one whose credential is still
      // believed from the last 5 s, fails in its own SQL and must be 503 too (finding 8)
      pg.stop();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                HttpResponse<String> ready = p.get(p.url("api") + "/health/ready");
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
              });
      HttpResponse<String> r = p.call("GET", p.url("edge") + "/api/conversations", token, null);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
      JsonNode error = Platform.json(r).path("error");
      assertThat(error.path("code").asText()).isEqualTo("database_unavailable");
      assertThat(error.path("trace_id").asText()).isNotBlank();
      HttpResponse<String> chat =
          p.call("POST", p.url("edge") + "/api/chat", token, "{\"message\":\"while down\"}");
      assertThat(chat.statusCode()).as(chat.body()).isEqualTo(503);
      assertThat(Platform.json(chat).path("error").path("code").asText())
          .isEqualTo("database_unavailable");
      refused.incrementAndGet();

      pg.startAgain();
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> assertThat(p.get(p.url("api") + "/health/ready").statusCode()).isEqualTo(200));
      int before = acknowledged.size();
      await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= before + 10);
      running.set(false);
      load.join();

      System.out.printf(
          "database stopped mid-run: %d chats acknowledged, %d refused with 503"
              + " database_unavailable, %d other answers%n",
          acknowledged.size(), refused.get(), unexpected.size());
      if (!unexpected.isEmpty()) {
        // what the process logged about them
        p.logText()
            .lines()
            .filter(
                l -> l.contains("ERROR") || l.startsWith("Caused by") || l.contains("Exception"))
            .limit(40)
            .forEach(l -> System.out.println("log: " + l));
      }
      assertThat(unexpected).as("answers other than 200 and 503 database_unavailable").isEmpty();
      for (Map.Entry<String, String> e : acknowledged.entrySet()) {
        JsonNode c =
            Platform.json(
                p.call("GET", p.url("edge") + "/api/conversations/" + e.getKey(), token, null));
        List<String> roles = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        c.path("messages")
            .forEach(
                m -> {
                  roles.add(m.path("role").asText());
                  contents.add(m.path("content").asText());
                });
        assertThat(roles).as("conversation " + e.getKey()).containsExactly("user", "assistant");
        assertThat(contents.get(0)).isEqualTo(e.getValue());
      }
      assertThat(p.alive()).isTrue();
    }
  }

  /** A throwaway PostgreSQL cluster (initdb, pg_ctl), as the postgres user when run as root. */
  static final class PgCluster implements AutoCloseable {
    final Path dir;
    final int port;
    final String bin;
    private final List<String> asPg;

    private PgCluster(Path dir, int port, String bin, List<String> asPg) {
      this.dir = dir;
      this.port = port;
      this.bin = bin;
      this.asPg = asPg;
    }

    static PgCluster start(Path dir) throws Exception {
      String initdb = findInitdb();
      org.junit.jupiter.api.Assumptions.assumeTrue(
          initdb != null, "PostgreSQL (initdb) is not installed");
      // /usr/local/bin may hold links to initdb and pg_ctl only: the real directory has psql too
      String bin = Path.of(initdb).toRealPath().getParent().toString();
      Files.createDirectories(dir);
      List<String> asPg = new ArrayList<>();
      if ("root".equals(System.getProperty("user.name"))) {
        run(List.of("chown", "-R", "postgres:", dir.toString()));
        run(List.of("chmod", "755", dir.getParent().toString()));
        asPg.addAll(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"));
      }
      PgCluster c = new PgCluster(dir, Platform.freePort(), bin, asPg);
      c.pg(
          List.of(
              bin + "/initdb",
              "-D",
              dir.resolve("data").toString(),
              "-U",
              "uat",
              "--auth=trust",
              "-E",
              "UTF8"));
      c.startAgain();
      c.pg(
          List.of(
              bin + "/psql",
              "-h",
              "127.0.0.1",
              "-p",
              Integer.toString(c.port),
              "-U",
              "uat",
              "-d",
              "postgres",
              "-qc",
              "create database uat"));
      return c;
    }

    String jdbcUrl() {
      return "jdbc:postgresql://127.0.0.1:" + port + "/uat";
    }

    void startAgain() throws Exception {
      pg(
          List.of(
              bin + "/pg_ctl",
              "-D",
              dir.resolve("data").toString(),
              "-w",
              "-t",
              "60",
              "-l",
              dir.resolve("pg.log").toString(),
              "-o",
              "-h 127.0.0.1 -p " + port + " -k " + dir + " -c fsync=on",
              "start"));
    }

    void stop() throws Exception {
      pg(
          List.of(
              bin + "/pg_ctl", "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop"));
    }

    private void pg(List<String> command) throws Exception {
      List<String> c = new ArrayList<>(asPg);
      c.addAll(command);
      run(c);
    }

    private static void run(List<String> command) throws Exception {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new AssertionError(command + " failed:\n" + out);
      }
    }

    private static String findInitdb() {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
        if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "initdb"))) {
          return Path.of(dir, "initdb").toString();
        }
      }
      try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
        return versions
            .map(v -> v.resolve("bin/initdb"))
            .filter(Files::isExecutable)
            .map(Path::toString)
            .sorted()
            .reduce((a, b) -> b)
            .orElse(null);
      } catch (Exception e) {
        return null;
      }
    }

    @Override
    public void close() {
      try {
        stop();
      } catch (Exception e) {
        // already stopped
      }
    }
  }
}
