package dev.uat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * URLs as clients really send them, written byte for byte on a socket (HttpClient refuses to send
 * most of them): what the edge can forward arrives encoded, what it cannot is a 4xx JSON error,
 * never a 500, and never a stack trace in the log.
 */
@Timeout(30)
class BadUrlTest {
  private Rig rig;
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void start() throws Exception {
    rig = new Rig(s -> s);
    log.start();
    root.addAppender(log);
  }

  @AfterEach
  void stop() {
    root.detachAppender(log);
    rig.close();
  }

  @Test
  void charactersAUriCannotHoldArePercentEncodedAndForwarded() throws Exception {
    var pipe = RawHttp.get(rig.edge.port(), "/api/conversations?x=a|b");
    assertThat(pipe.status()).isEqualTo(200);
    assertThat(rig.api.takeRequest().getTarget()).isEqualTo("/api/conversations?x=a%7Cb");

    var braces = RawHttp.get(rig.edge.port(), "/api/conversations/{id}^?q=\"caf\u00e9\"&ok=%41");
    assertThat(braces.status()).isEqualTo(200);
    assertThat(rig.api.takeRequest().getTarget())
        .isEqualTo("/api/conversations/%7Bid%7D%5E?q=%22caf%C3%A9%22&ok=%41");

    var model = RawHttp.get(rig.edge.port(), "/v1/models/a|b?x=[1]");
    assertThat(model.status()).isEqualTo(200);
    assertThat(rig.router.takeRequest().getTarget()).isEqualTo("/v1/models/a%7Cb?x=%5B1%5D");
  }

  @Test
  void urlsTheEdgeCannotForwardAre400WithJsonCountedAndNoStackTrace() throws Exception {
    List<String> targets =
        List.of(
            "/api/conversations?x=%zz",
            "/api/conversations?x=%",
            "/api/conversations?x=%00",
            "/api/conversations%zz",
            "/api/conversations%00",
            "/api/conversations?x=a\u0001b",
            "/api/conversations?x=\u0000",
            "/api/conversations?x=a b",
            "/v1/models?x=%zz",
            "/v1/chat/completions%00",
            "/v1/models?x=\u007f");
    for (String target : targets) {
      var response = RawHttp.get(rig.edge.port(), target);
      assertThat(response.status()).as(target).isEqualTo(400);
      assertThat(response.headers().get("content-type")).as(target).startsWith("application/json");
      assertThat(response.errorCode()).as(target).isIn("invalid_url", "malformed_request");
      assertThat(response.json().at("/error/message").asText()).as(target).isNotBlank();
    }
    assertThat(rig.api.getRequestCount()).isZero();
    assertThat(rig.router.getRequestCount()).isZero();
    assertThat(rig.metrics())
        .contains(Rig.refused("invalid_url"))
        .contains(Rig.refused("malformed_request"));
    assertThat(log.list)
        .noneMatch(e -> e.getThrowableProxy() != null || e.getLevel().isGreaterOrEqual(Level.WARN));
  }

  @Test
  void overLongUrlsAre414WithJson() throws Exception {
    // short enough for Jetty, too long once every '|' is encoded as %7C
    var encodedTooLong = RawHttp.get(rig.edge.port(), "/api/x?q=" + "|".repeat(3_000));
    assertThat(encodedTooLong.status()).isEqualTo(414);
    assertThat(encodedTooLong.errorCode()).isEqualTo("url_too_long");

    // too long for the HTTP parser itself
    var rawTooLong = RawHttp.get(rig.edge.port(), "/v1/models?q=" + "a".repeat(10_000));
    assertThat(rawTooLong.status()).isEqualTo(414);
    assertThat(rawTooLong.errorCode()).isEqualTo("url_too_long");

    assertThat(rig.api.getRequestCount() + rig.router.getRequestCount()).isZero();
    assertThat(rig.metrics()).contains(Rig.refused("url_too_long"));
  }

  @Test
  void dotSegmentsAreRefusedSoTheComponentSeesThePathTheEdgeRouted() throws Exception {
    for (String target :
        List.of(
            "/api/../metrics",
            "/api/%2e%2e/health/ready",
            "/api/x/.%2E/%2E%2e/internal/events",
            "/v1/..;/metrics",
            "/v1/./models",
            "/api/a%2F..%2Fmetrics")) {
      var response = RawHttp.get(rig.edge.port(), target);
      assertThat(response.status()).as(target).isEqualTo(400);
      assertThat(response.errorCode()).as(target).isIn("invalid_url", "malformed_request");
    }
    assertThat(rig.api.getRequestCount() + rig.router.getRequestCount()).isZero();
  }

  @Test
  void webSocketUpgradeWithAQueryThatCannotBeForwardedIs400() throws Exception {
    var bad = RawHttp.upgrade(rig.edge.port(), "/ws?ack=%zz");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.errorCode()).isEqualTo("invalid_url");
    assertThat(rig.upgrades.poll(200, TimeUnit.MILLISECONDS)).isNull();

    var nul = RawHttp.upgrade(rig.edge.port(), "/ws?x=%00");
    assertThat(nul.status()).isEqualTo(400);
    assertThat(nul.errorCode()).isEqualTo("invalid_url");

    // the WebSocket handshake itself cannot take what needs encoding: 400, not a 500
    var pipe = RawHttp.upgrade(rig.edge.port(), "/ws?x=a|b");
    assertThat(pipe.status()).isEqualTo(400);
    assertThat(pipe.errorCode()).isEqualTo("invalid_url");

    var tooLong = RawHttp.upgrade(rig.edge.port(), "/ws?x=" + "a".repeat(8_200));
    assertThat(tooLong.status()).isEqualTo(414);
    assertThat(tooLong.errorCode()).isEqualTo("url_too_long");

    assertThat(rig.upgrades.poll(200, TimeUnit.MILLISECONDS)).isNull();
    assertThat(log.list)
        .noneMatch(e -> e.getThrowableProxy() != null || e.getLevel().isGreaterOrEqual(Level.WARN));
  }

  @Test
  void webSocketQueryIsForwardedToRealtime() throws Exception {
    var ok = RawHttp.upgrade(rig.edge.port(), "/ws?ack=true&x=%7C");
    assertThat(ok.status()).isEqualTo(101);
    Map<String, String> upgrade = rig.upgrades.poll(10, TimeUnit.SECONDS);
    assertThat(upgrade).containsEntry("query", "ack=true&x=%7C");
  }
}
