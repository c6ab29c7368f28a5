package dev.uat.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.telemetry.Fuzzer;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the api's JSON request bodies in-process ({@link Fuzzer}): {@link Json#read} into the
 * records the routes bind (chat, API key, credentials, refresh, password change, title), as the
 * routes call it. The only refusal is an {@link HttpError} (400 {@code invalid_json}); at most 64
 * bytes allocated per input byte plus 8 MiB; 2 s per input. A short run in the suite; {@code
 * -Dfuzz.inputs=N} for N inputs.
 */
class RequestBodyFuzzTest {
  static final List<Class<?>> TYPES =
      List.of(
          ChatRoutes.ChatRequest.class,
          KeyRoutes.CreateKey.class,
          AuthRoutes.Credentials.class,
          AuthRoutes.RefreshRequest.class,
          AuthRoutes.PasswordChange.class);

  static Fuzzer.Report run() {
    int[] next = {0};
    return new Fuzzer(
            "api-bodies",
            List.of(
                "{\"conversationId\":\"c\",\"model\":\"echo/echo\",\"message\":\"hi\",\"stream\":false}"
                    .getBytes(UTF_8),
                "{\"name\":\"k\",\"scopes\":[\"chat\",\"read\"],\"expiresInDays\":30}"
                    .getBytes(UTF_8),
                "{\"email\":\"a@b.c\",\"password\":\"secret-pass\",\"displayName\":\"A\"}"
                    .getBytes(UTF_8),
                "{\"refreshToken\":\"abc\"}".getBytes(UTF_8),
                "{\"currentPassword\":\"a\",\"newPassword\":\"b\",\"revokeKeys\":true}"
                    .getBytes(UTF_8)),
            e -> e instanceof HttpError,
            length -> 64 * length + (8 << 20))
        .generator(r -> Fuzzer.randomJson(r, 0).getBytes(UTF_8))
        .run(body -> Json.read(body, TYPES.get(next[0]++ % TYPES.size())));
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void bodiesAreRefusedOnlyWithA400WithinBounds() {
    assertThat(run().findings()).isEmpty();
  }
}
