package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.router.provider.ChatMessage;
import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.ChatStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InterceptorChainTest {
  private static final RouterRequest REQUEST =
      RouterRequest.chat(
          new Caller("user-1", null),
          new Route("m", List.of()),
          ChatRequest.of("m", List.of(new ChatMessage("user", "Hi"))),
          false,
          RouterRequest.CachePolicy.USE,
          System.nanoTime());

  private static Interceptor answering(String text) {
    return chain ->
        Answer.of(
            ChatStream.of(
                new ChatResponse(
                    "id", chain.request().chat().model(), text, "stop", 1, 1, 0, false)),
            "test");
  }

  @Test
  void eachStepGetsTheRequestItsPredecessorPassedAndReturnsAnExplicitAnswer() {
    List<String> seen = new ArrayList<>();
    Interceptor renaming =
        chain -> {
          seen.add(chain.request().chat().model());
          RouterRequest changed =
              new RouterRequest(
                  chain.request().kind(),
                  chain.request().caller(),
                  chain.request().route(),
                  chain.request().chat().withModel("other"),
                  null,
                  chain.request().cachePolicy(),
                  chain.request().startNanos());
          return chain.proceed(changed).withCacheStatus("miss");
        };
    Interceptor observing =
        chain -> {
          seen.add(chain.request().chat().model());
          return chain.proceed(chain.request());
        };

    Answer answer = Interceptor.run(List.of(renaming, observing, answering("hello")), REQUEST);

    assertThat(seen).containsExactly("m", "other");
    assertThat(answer.stream().result().model()).isEqualTo("other");
    assertThat(answer.cacheStatus()).isEqualTo("miss");
    assertThat(answer.answeredBy()).isEqualTo("test");
    assertThat(REQUEST.chat().model()).isEqualTo("m"); // the caller's request is not changed
  }

  @Test
  void proceedingTwiceIsRefused() {
    Interceptor twice =
        chain -> {
          chain.proceed(chain.request());
          return chain.proceed(chain.request());
        };

    assertThatThrownBy(() -> Interceptor.run(List.of(twice, answering("x")), REQUEST))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("must call proceed() exactly once");
  }

  @Test
  void aStepMayAnswerWithoutProceeding() {
    Interceptor never =
        chain -> {
          throw new AssertionError("not reached");
        };

    Answer answer = Interceptor.run(List.of(answering("cached"), never), REQUEST);

    assertThat(answer.stream().result().content()).isEqualTo("cached");
  }

  @Test
  void theLastStepMustAnswer() {
    Interceptor passing = chain -> chain.proceed(chain.request());

    assertThatThrownBy(() -> Interceptor.run(List.of(passing), REQUEST))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("last interceptor must answer");
  }
}
