package dev.uat.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseTest {
  private static Sse.Reader reader(String stream) {
    return new Sse.Reader(new BufferedReader(new StringReader(stream))::readLine);
  }

  @Test
  void joinsMultiLineDataAndSkipsCommentsAndIds() throws Exception {
    Sse.Reader r = reader(": keep-alive\nid: 1\nevent: delta\ndata: a\ndata:b\n\ndata: [DONE]\n");
    assertThat(r.next()).isEqualTo(new Sse.Event("delta", "a\nb"));
    assertThat(r.next()).isEqualTo(new Sse.Event("message", "[DONE]"));
    assertThat(r.next()).isNull();
  }

  @Test
  void whatTheWriterWritesTheReaderReadsBack() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Sse.write(out, "done", "line one\nline two\r\nthree");
    Sse.writeJson(out, "{\"x\":1}".getBytes(StandardCharsets.UTF_8));
    Sse.Reader r = reader(out.toString(StandardCharsets.UTF_8));
    assertThat(r.next()).isEqualTo(new Sse.Event("done", "line one\nline two\nthree"));
    assertThat(r.next()).isEqualTo(new Sse.Event("message", "{\"x\":1}"));
    assertThat(r.next()).isNull();
  }
}
