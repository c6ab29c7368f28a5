package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A port the all-in-one chose as free but another process bound before the component did: the
 * platform chooses again instead of failing (seen in CI: the api's port taken in between).
 */
@Timeout(120)
class PortRaceTest {
  @TempDir Path data;

  @Test
  void aChosenPortTakenBeforeItIsBoundIsChosenAgain() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      AtomicInteger attempts = new AtomicInteger();
      Config config = Config.load(null, Map.of(), TestSettings.allInOne(data));
      try (Platform platform =
          Platform.up(
              config,
              c -> {
                Config chosen = c.withFreePortsChosen();
                // the first choice loses the race for the api's port
                return attempts.incrementAndGet() == 1
                    ? chosen.withBoundPort("api-port", taken.getLocalPort())
                    : chosen;
              })) {
        assertThat(attempts.get()).isEqualTo(2);
        assertThat(platform.api().url()).doesNotContain(":" + taken.getLocalPort());
        HttpResponse<String> ready =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create(platform.edge().url() + "/health/ready"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
      }
    }
  }

  @Test
  void aPortTheOperatorChoseIsNotChosenAgain() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Map<String, String> flags = TestSettings.allInOne(data);
      for (String port : Config.PORTS) {
        flags.put(port, Integer.toString(FreePorts.pick()));
      }
      flags.put("api-port", Integer.toString(taken.getLocalPort()));
      AtomicInteger attempts = new AtomicInteger();
      Config config = Config.load(null, Map.of(), flags);
      assertThatThrownBy(
              () ->
                  Platform.up(
                      config,
                      c -> {
                        attempts.incrementAndGet();
                        return c.withFreePortsChosen();
                      }))
          .hasStackTraceContaining("" + taken.getLocalPort());
      assertThat(attempts.get()).isEqualTo(1);
    }
  }
}
