package dev.uat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.web.WsClient;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Client frames that realtime does not take pile up at the edge only to a per-connection cap. */
@Timeout(60)
class WebSocketBacklogTest {
  @Test
  void framesPilingUpForAStalledRealtimeCloseTheClientWith1008() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      rig.realtimeReads = new CountDownLatch(1); // realtime stops reading after the first frame
      try (WsClient ws = WsClient.open(rig.ws("/ws"))) {
        assertThat(ws.next().get("type").asText()).isEqualTo("hello");
        String frame = "{\"pad\":\"" + "x".repeat(30_000) + "\"}";
        int sent = 0;
        try {
          // the kernel's socket buffers take some megabytes first; then the edge's cap holds
          for (; sent < 5_000; sent++) {
            ws.send(frame);
          }
        } catch (CompletionException e) {
          // the edge closed the connection while we were still sending: expected
        }
        assertThat(sent).isLessThan(5_000);
        int code;
        try {
          code = ws.closeCode();
        } catch (ExecutionException e) {
          // the edge sent 1008 and closed while we were still writing: our write may fail
          // (broken pipe) before our reader gets to the close frame
          code = -1;
        }
        assertThat(code).isIn(WebSocketProxy.POLICY_VIOLATION, -1);
      }
      assertThat(rig.metrics()).contains(Rig.refused("ws_backlog"));

      // the edge still relays for others once realtime reads again
      rig.realtimeReads.countDown();
      try (WsClient other = WsClient.open(rig.ws("/ws"))) {
        assertThat(other.next().get("type").asText()).isEqualTo("hello");
        other.send("{\"n\":1}");
        assertThat(other.next().get("type").asText()).isEqualTo("echo");
      }
    }
  }
}
