package dev.uat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Javalin gives every WebSocket upgrade an HTTP session; the edge keeps none of them, so opening
 * and closing connections in a loop does not grow its memory.
 */
@Timeout(30)
class WebSocketSessionsTest {
  @Test
  void upgradesLeaveNoSessionBehind() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      for (int i = 0; i < 20; i++) {
        var upgrade = RawHttp.upgrade(rig.edge.port(), "/ws");
        assertThat(upgrade.status()).isEqualTo(101);
        String cookie = upgrade.headers().get("set-cookie");
        if (cookie != null && cookie.startsWith("JSESSIONID=")) {
          String id = cookie.substring("JSESSIONID=".length(), cookie.indexOf(';'));
          String base = id.contains(".") ? id.substring(0, id.indexOf('.')) : id;
          assertThat(rig.edge.holdsSession(base)).as(base).isFalse();
          assertThat(rig.edge.holdsSession(id)).as(id).isFalse();
        }
      }
    }
  }
}
