package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What one {@code POST /api/chat} costs the database, counted at the JDBC driver ({@link
 * CountingDriver}) on the embedded H2 file database, where each commit that writes is a chunk
 * written to the file ({@code WRITE_DELAY=0}): two commits (the question before the model is asked,
 * the answer before it is acknowledged: docs/durability.md) and no statement outside them. The only
 * read allowed outside is the credential check's session lookup, which {@code Credentials} caches
 * (at most one per credential per {@code Credentials.RECHECK}).
 */
class ChatCommitsTest extends ApiFixture {
  @Override
  ApiSettings database(ApiSettings settings) {
    return settings.toBuilder()
        .jdbcUrl(CountingDriver.counting(settings.effectiveJdbcUrl()))
        .build();
  }

  @Test
  void chatInANewConversationCommitsTwice() throws Exception {
    String token = register("ada@example.com");
    routerAnswers();
    CountingDriver.reset();

    newConversation(token, "hello");

    assertTwoCommitsAndNoOtherWork();
  }

  @Test
  void chatInAnExistingConversationCommitsTwice() throws Exception {
    String token = register("ada@example.com");
    routerAnswers();
    String conversation = newConversation(token, "hello");
    routerAnswers();
    CountingDriver.reset();

    assertThat(chat(token, conversation, "and again").statusCode()).isEqualTo(200);

    assertTwoCommitsAndNoOtherWork();
    assertThat(router.takeRequest().getBody().utf8()).contains("hello"); // the first chat's
    assertThat(router.takeRequest().getBody().utf8())
        .contains("hello", "Hello back", "and again"); // the history went to the model
  }

  private static void assertTwoCommitsAndNoOtherWork() {
    assertThat(CountingDriver.writeCommits).as("commits that write").hasValue(2);
    assertThat(CountingDriver.autoCommitReadSql)
        .as("reads outside a transaction")
        .allMatch(sql -> sql.contains("FROM sessions"));
  }
}
