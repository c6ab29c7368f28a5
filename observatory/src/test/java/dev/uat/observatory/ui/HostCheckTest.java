package dev.uat.observatory.ui;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.observatory.Observatory;
import dev.uat.observatory.TestObservatory;
import dev.uat.web.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The query port's defences: the Host check on loopback, the token anywhere else. */
@Timeout(60)
class HostCheckTest {
  @RegisterExtension final TestObservatory.PerTest observatories = new TestObservatory.PerTest();
  private TestObservatory fixture;
  private Observatory observatory;

  private void start(List<String> allowedHosts) {
    fixture =
        observatories.start(TestObservatory.settings(1 << 20).allowedHosts(allowedHosts).build());
    observatory = fixture.observatory();
  }

  /** The status line's code and the body of a GET sent with this {@code Host} header. */
  private Answer get(String host, String path) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", observatory.queryPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
              .getBytes(UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), UTF_8);
      int status = Integer.parseInt(response.substring(9, 12));
      int bodyStart = response.indexOf("\r\n\r\n") + 4;
      return new Answer(status, response.substring(bodyStart));
    }
  }

  private record Answer(int status, String body) {}

  @Test
  void aForeignHostNameIsRefusedWith403WhileLoopbackNamesPass() throws Exception {
    start(List.of());
    int port = observatory.queryPort();

    Answer rebound = get("attacker.example:" + port, "/api/services");
    assertThat(rebound.status()).isEqualTo(403);
    assertThat(Json.MAPPER.readTree(rebound.body()).get("error").get("code").asText())
        .isEqualTo("host_not_allowed");
    assertThat(get("127.0.0.1.nip.io:" + port, "/api/traces").status()).isEqualTo(403);
    assertThat(get("attacker.example", "/metrics").status()).isEqualTo(403);
    assertThat(get("attacker.example", "/").status()).as("the UI page").isEqualTo(403);

    assertThat(get("localhost:" + port, "/api/services").status()).isEqualTo(200);
    assertThat(get("LOCALHOST", "/api/services").status()).isEqualTo(200);
    assertThat(get("127.0.0.1:" + port, "/api/services").status()).isEqualTo(200);
    assertThat(get("[::1]:" + port, "/api/services").status()).isEqualTo(200);
    assertThat(get("attacker.example", "/health/ready").status()).as("health").isEqualTo(200);
    assertThat(get("localhost", "/metrics").body())
        .contains("uat_observatory_query_refused_total{reason=\"host\"} 4");
  }

  @Test
  void configuredExtraHostNamesAreAccepted() throws Exception {
    start(List.of("observatory.internal", "Traces.Example.COM"));

    assertThat(get("observatory.internal:16686", "/api/services").status()).isEqualTo(200);
    assertThat(get("traces.example.com", "/api/services").status()).isEqualTo(200);
    assertThat(get("other.internal", "/api/services").status()).isEqualTo(403);
  }

  @Test
  void hostValuesAreParsedStrictly() {
    assertThat(HostCheck.hostName("Example.com:80")).isEqualTo("example.com");
    assertThat(HostCheck.hostName("localhost.")).isEqualTo("localhost");
    assertThat(HostCheck.hostName("[::1]:8080")).isEqualTo("::1");
    assertThat(HostCheck.hostName("localhost:80@evil")).isNull();
    assertThat(HostCheck.hostName("[::1]evil")).isNull();
    assertThat(HostCheck.hostName("[::1")).isNull();
  }

  @Test
  void listeningBeyondLoopbackWithoutATokenFailsAtStart() {
    assertThatThrownBy(
            () -> observatories.start(TestObservatory.settings(1 << 20).host("0.0.0.0").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("observatory-token")
        .hasMessageContaining("0.0.0.0");
  }
}
