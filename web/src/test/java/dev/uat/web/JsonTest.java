package dev.uat.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonTest {
  record Body(String message) {}

  @Test
  void bodyWhoseBytesLookLikeUtf32ButAreNotIsA400NotAnInternalError() {
    // leading NUL bytes make Jackson read UTF-32, and the rest is not valid UTF-32 (a fuzz finding)
    byte[] body = {0, 0, 0, '{', 0, 0, 0, '"', (byte) 0xd8, 0, 0, 0};

    assertThatThrownBy(() -> Json.read(body, Body.class))
        .isInstanceOfSatisfying(
            HttpError.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.code()).isEqualTo("invalid_json");
            });
  }

  @Test
  void wellFormedBodyIsRead() {
    assertThat(Json.read("{\"message\":\"hi\"}".getBytes(StandardCharsets.UTF_8), Body.class))
        .isEqualTo(new Body("hi"));
  }
}
