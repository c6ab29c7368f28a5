package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.Credentials;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.auth.RemoteCredentialBackend;
import dev.uat.auth.Revocation;
import dev.uat.auth.TokenVerifier;
import dev.uat.web.Json;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 through the api's HTTP interface: revocations take effect at once and are announced, API
 * key scopes per route, password changes, admin key expiry, the atomic first administrator, paged
 * conversations under a byte cap. Runs on H2 and PostgreSQL.
 */
abstract class AbstractSecurityTest extends ApiFixture {

  /** The token works (its session is now cached as active for {@link Credentials#RECHECK}). */
  private void works(String token) throws Exception {
    assertThat(call("GET", "/api/me", token, null).statusCode()).isEqualTo(200);
  }

  /** Refused at once: the cached "active" answer was dropped by the revocation, not waited out. */
  private void refusedAtOnce(String token) throws Exception {
    var r = call("GET", "/api/me", token, null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).isPresent();
  }

  /**
   * Reads a conversation page by page, newest first, at most {@code maxPages}; each page must be a
   * 200 within {@link ConversationPages#MAX_RESPONSE_BYTES}. Pages are not kept (the heap is the
   * launcher's). Returns how many were read.
   */
  private int eachPage(String token, String conversation, int maxPages, Consumer<JsonNode> page)
      throws Exception {
    int pages = 0;
    String cursor = null;
    do {
      var r =
          call(
              "GET",
              "/api/conversations/" + conversation + (cursor == null ? "" : "?cursor=" + cursor),
              token,
              null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body().getBytes(StandardCharsets.UTF_8).length)
          .isLessThanOrEqualTo(ConversationPages.MAX_RESPONSE_BYTES);
      JsonNode json = json(r);
      page.accept(json);
      cursor = json.get("next_cursor").isNull() ? null : json.get("next_cursor").asText();
      pages++;
    } while (cursor != null && pages < maxPages);
    return pages;
  }

  /** {@code POST /api/me/password}; {@code revokeKeys} null: not said. */
  private HttpResponse<String> changePassword(
      String token, String current, String next, Boolean revokeKeys) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("current_password", current);
    body.put("new_password", next);
    if (revokeKeys != null) {
      body.put("revoke_keys", revokeKeys);
    }
    return call("POST", "/api/me/password", token, Json.writeString(body));
  }

  /** A new conversation of these questions, each with the answer after it; returns its id. */
  private String conversationOf(String token, String... questionsAndAnswers) throws Exception {
    String conversation = null;
    for (int i = 0; i < questionsAndAnswers.length; i += 2) {
      routerStreams("m", questionsAndAnswers[i + 1]);
      var r = chat(token, conversation, questionsAndAnswers[i]);
      assertThat(r.statusCode()).isEqualTo(200);
      conversation = json(r).get("conversation_id").asText();
    }
    return conversation;
  }

  @Test
  void logoutIsRefusedAtOnceAndAnnounced() throws Exception {
    JsonNode user = registered("rv-logout@example.com");
    String access = user.get("access_token").asText();
    works(access);
    assertThat(call("POST", "/api/auth/logout", access, null).statusCode()).isEqualTo(204);
    refusedAtOnce(access);
    assertThat(revocations()).containsExactly(Revocation.session(user.get("session_id").asText()));
    assertThat(events).anyMatch(e -> e.channel().equals("internal:auth"));
  }

  @Test
  void logoutAllIsRefusedAtOnceAndAnnounced() throws Exception {
    JsonNode first = registered("rv-all@example.com");
    String other = login("rv-all@example.com").get("access_token").asText();
    works(first.get("access_token").asText());
    works(other);
    assertThat(call("POST", "/api/auth/logout-all", other, null).statusCode()).isEqualTo(200);
    refusedAtOnce(first.get("access_token").asText());
    refusedAtOnce(other);
    assertThat(revocations()).containsExactly(Revocation.user(first.at("/user/id").asText()));
  }

  @Test
  void deletedSessionIsRefusedAtOnceAndAnnounced() throws Exception {
    JsonNode victim = registered("rv-del@example.com");
    String owner = login("rv-del@example.com").get("access_token").asText();
    String sid = victim.get("session_id").asText();
    works(victim.get("access_token").asText());
    assertThat(call("DELETE", "/api/auth/sessions/" + sid, owner, null).statusCode())
        .isEqualTo(204);
    refusedAtOnce(victim.get("access_token").asText());
    works(owner);
    assertThat(revocations()).containsExactly(Revocation.session(sid));
  }

  @Test
  void refreshTokenReuseIsRefusedAtOnceAndAnnounced() throws Exception {
    JsonNode first = registered("rv-reuse@example.com");
    JsonNode rotated = json(refresh(first.get("refresh_token").asText()));
    String access = rotated.get("access_token").asText();
    works(access);
    var replay = refresh(first.get("refresh_token").asText());
    assertThat(json(replay).at("/error/code").asText()).isEqualTo("refresh_token_reused");
    refusedAtOnce(access);
    assertThat(revocations()).containsExactly(Revocation.session(first.get("session_id").asText()));
  }

  @Test
  void keyRevocationIsRefusedAtOnceAndAnnounced() throws Exception {
    String token = register("rv-key@example.com");
    JsonNode key = json(call("POST", "/api/keys", token, "{\"name\":\"ci\"}"));
    String secret = key.get("key").asText();
    works(secret);
    assertThat(call("DELETE", "/api/keys/" + key.get("id").asText(), token, null).statusCode())
        .isEqualTo(204);
    refusedAtOnce(secret);
    assertThat(revocations()).containsExactly(Revocation.key(key.get("id").asText()));
  }

  @Test
  void passwordChangeEndsEverySessionRevokesKeysByDefaultAndOpensANewSession() throws Exception {
    JsonNode other = registered("pw@example.com");
    String userId = other.at("/user/id").asText();
    JsonNode current = login("pw@example.com");
    String token = current.get("access_token").asText();
    String key = json(call("POST", "/api/keys", token, "{\"name\":\"k\"}")).get("key").asText();
    works(other.get("access_token").asText());
    works(token);
    works(key);

    var wrong = changePassword(token, "nope nope", "brand new pass", null);
    assertThat(wrong.statusCode()).isEqualTo(403);
    var weak = changePassword(token, PASSWORD, "short", null);
    assertThat(weak.statusCode()).isEqualTo(400);
    var ok = changePassword(token, PASSWORD, "brand new pass", null);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    JsonNode changed = json(ok);
    assertThat(changed.get("sessions_ended").asInt()).isEqualTo(2);
    assertThat(changed.get("keys_revoked").asInt()).isEqualTo(1);

    refusedAtOnce(token);
    refusedAtOnce(other.get("access_token").asText());
    refusedAtOnce(key);
    works(changed.get("access_token").asText());
    assertThat(changed.get("session_id").asText())
        .isNotIn(current.get("session_id").asText(), other.get("session_id").asText());
    assertThat(revocations()).containsExactly(Revocation.user(userId));
    assertThat(tryLogin("pw@example.com", PASSWORD).statusCode()).isEqualTo(401);
    assertThat(tryLogin("pw@example.com", "brand new pass").statusCode()).isEqualTo(200);
  }

  @Test
  void passwordChangeKeepsKeysWhenAsked() throws Exception {
    String token = register("pwkeep@example.com");
    String key = json(call("POST", "/api/keys", token, "{\"name\":\"k\"}")).get("key").asText();
    works(key);
    var ok = changePassword(token, PASSWORD, "brand new pass", false);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(json(ok).get("keys_revoked").asInt()).isZero();
    refusedAtOnce(token);
    works(key);
  }

  @Test
  void chatKeyMayChatAndUseConversationsButNotManageTheAccount() throws Exception {
    JsonNode owner = registered("scoped@example.com");
    String token = owner.get("access_token").asText();
    String sid = owner.get("session_id").asText();
    JsonNode created = json(call("POST", "/api/keys", token, "{\"name\":\"bot\"}"));
    String key = created.get("key").asText();

    routerAnswers();
    var chat = call("POST", "/api/chat", key, "{\"message\":\"hi\"}");
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    String conversation = json(chat).get("conversation_id").asText();
    assertThat(call("GET", "/api/conversations", key, null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/api/conversations/" + conversation, key, null).statusCode())
        .isEqualTo(200);
    assertThat(call("POST", "/api/conversations", key, "{\"title\":\"t\"}").statusCode())
        .isEqualTo(201);
    assertThat(
            call("PATCH", "/api/conversations/" + conversation, key, "{\"title\":\"u\"}")
                .statusCode())
        .isEqualTo(200);
    assertThat(call("GET", "/api/me", key, null).statusCode()).isEqualTo(200);

    String[][] refused = {
      {"GET", "/api/auth/sessions", null},
      {"DELETE", "/api/auth/sessions/" + sid, null},
      {"POST", "/api/auth/logout", null},
      {"POST", "/api/auth/logout-all", null},
      {"PATCH", "/api/me", "{\"display_name\":\"Mallory\"}"},
      {"POST", "/api/me/password", "{\"current_password\":\"x\",\"new_password\":\"yyyyyyyyy\"}"},
      {"POST", "/api/keys", "{\"name\":\"more\"}"},
      {"GET", "/api/keys", null},
      {"DELETE", "/api/keys/" + created.get("id").asText(), null},
      {"GET", "/api/audit", null},
    };
    for (String[] r : refused) {
      var answer = call(r[0], r[1], key, r[2]);
      assertThat(answer.statusCode()).as(r[0] + " " + r[1]).isEqualTo(403);
      assertThat(json(answer).at("/error/code").asText()).isEqualTo("insufficient_scope");
      assertThat(answer.headers().firstValue("WWW-Authenticate").orElseThrow())
          .contains("insufficient_scope");
    }
    // nothing was done: the session is alive, the key too, the name unchanged
    works(token);
    works(key);
    assertThat(json(call("GET", "/api/me", token, null)).has("display_name")).isFalse();
  }

  @Test
  void adminKeysExpireAndExpiredKeysAreRefused() throws Exception {
    String admin = register("keyboss@example.com");
    JsonNode adminKey =
        json(call("POST", "/api/keys", admin, "{\"name\":\"ops\",\"scopes\":[\"admin\"]}"));
    Instant expires = Instant.parse(adminKey.get("expires_at").asText());
    assertThat(expires)
        .isBetween(
            Instant.now().plus(Duration.ofDays(30)).minusSeconds(60),
            Instant.now().plus(Duration.ofDays(30)).plusSeconds(60));
    assertThat(
            call(
                    "POST",
                    "/api/keys",
                    admin,
                    "{\"name\":\"long\",\"scopes\":[\"admin\"],\"expires_in_days\":91}")
                .statusCode())
        .isEqualTo(400);
    JsonNode ninety =
        json(
            call(
                "POST",
                "/api/keys",
                admin,
                "{\"name\":\"q\",\"scopes\":[\"admin\",\"chat\"],\"expires_in_days\":90}"));
    assertThat(Instant.parse(ninety.get("expires_at").asText()))
        .isAfter(Instant.now().plus(Duration.ofDays(89)));
    JsonNode chatKey = json(call("POST", "/api/keys", admin, "{\"name\":\"forever\"}"));
    assertThat(chatKey.has("expires_at")).isFalse();
    JsonNode weekly =
        json(call("POST", "/api/keys", admin, "{\"name\":\"week\",\"expires_in_days\":7}"));
    assertThat(Instant.parse(weekly.get("expires_at").asText()))
        .isBefore(Instant.now().plus(Duration.ofDays(8)));
    assertThat(
            call("POST", "/api/keys", admin, "{\"name\":\"x\",\"expires_in_days\":0}").statusCode())
        .isEqualTo(400);

    // a key whose time has come is refused, here and to other components asking
    String secret = adminKey.get("key").asText();
    try (Connection c = api.database().connection()) {
      Jdbc.update(
          c,
          "UPDATE api_keys SET expires_at = ? WHERE id = ?",
          Jdbc.now().minusSeconds(1),
          adminKey.get("id").asText());
    }
    assertThat(call("GET", "/api/audit", secret, null).statusCode()).isEqualTo(401);
    assertThat(call("GET", "/api/auth/introspect", secret, null).statusCode()).isEqualTo(401);
    assertThat(
            json(call("GET", "/api/auth/introspect", ninety.get("key").asText(), null))
                .get("expires_at")
                .asLong())
        .isEqualTo(Instant.parse(ninety.get("expires_at").asText()).getEpochSecond());
  }

  @Test
  void activeKeysPerAccountAreCappedAndTheRefusalCounted() throws Exception {
    String token = register("many-keys@example.com");
    for (int i = 0; i < ApiKeys.MAX_KEYS_PER_USER; i++) {
      assertThat(call("POST", "/api/keys", token, "{\"name\":\"k" + i + "\"}").statusCode())
          .isEqualTo(201);
    }
    var refused = call("POST", "/api/keys", token, "{\"name\":\"one too many\"}");
    assertThat(refused.statusCode()).isEqualTo(409);
    assertThat(json(refused).at("/error/code").asText()).isEqualTo("too_many_keys");
    assertThat(metrics()).contains("uat_api_limit_hits_total{uat_api_limit=\"keys_per_user\"}");
  }

  @Test
  void introspectionDescribesLiveCredentialsOnly() throws Exception {
    JsonNode user = registered("intro@example.com");
    String token = user.get("access_token").asText();
    JsonNode key = json(call("POST", "/api/keys", token, "{\"name\":\"k\"}"));

    JsonNode t = json(call("GET", "/api/auth/introspect", token, null));
    assertThat(t.get("active").asBoolean()).isTrue();
    assertThat(t.get("kind").asText()).isEqualTo("access_token");
    assertThat(t.get("user_id").asText()).isEqualTo(user.at("/user/id").asText());
    assertThat(t.get("session_id").asText()).isEqualTo(user.get("session_id").asText());
    assertThat(t.get("scopes")).extracting(JsonNode::asText).contains("chat");
    assertThat(t.get("expires_at").asLong()).isGreaterThan(Instant.now().getEpochSecond());

    JsonNode k = json(call("GET", "/api/auth/introspect", key.get("key").asText(), null));
    assertThat(k.get("kind").asText()).isEqualTo("api_key");
    assertThat(k.get("key_id").asText()).isEqualTo(key.get("id").asText());
    assertThat(k.get("expires_at").isNull()).isTrue();

    var junk = call("GET", "/api/auth/introspect", "uat_sk_nothing", null);
    assertThat(junk.statusCode()).isEqualTo(401);
    assertThat(json(junk).at("/error/code").asText()).isEqualTo("unauthorized");
    assertThat(call("GET", "/api/auth/introspect", null, null).statusCode()).isEqualTo(401);
  }

  @Test
  void remoteValidatorOfAnotherComponentDropsAccessAtOnceOnTheBusSignal() throws Exception {
    JsonNode user = registered("remote@example.com");
    String token = user.get("access_token").asText();
    String key = json(call("POST", "/api/keys", token, "{\"name\":\"k\"}")).get("key").asText();
    // what the router and realtime build: the api's introspection, and the bus for signals
    Credentials elsewhere =
        new Credentials(
            TokenVerifier.local(api.keys()), new RemoteCredentialBackend(api.url(), client));
    try (AutoCloseable listening = elsewhere.listen(bus)) {
      Principal p = elsewhere.authenticate("Bearer " + token);
      assertThat(p.sessionId()).isEqualTo(user.get("session_id").asText());
      assertThat(elsewhere.authenticate("Bearer " + key).isApiKey()).isTrue();

      assertThat(call("POST", "/api/auth/logout", token, null).statusCode()).isEqualTo(204);
      assertThatThrownBy(() -> elsewhere.authenticate("Bearer " + token))
          .isInstanceOfSatisfying(
              InvalidTokenException.class,
              e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.REVOKED));
    }
  }

  @Test
  void simultaneousFirstRegistrationsMakeExactlyOneAdministrator() throws Exception {
    int n = 12;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String body =
            "{\"email\":\"racer" + i + "@example.com\",\"password\":\"" + PASSWORD + "\"}";
        Callable<HttpResponse<String>> register =
            () -> {
              go.await();
              return call("POST", "/api/auth/register", null, body);
            };
        answers.add(pool.submit(register));
      }
      go.countDown();
      int admins = 0;
      for (Future<HttpResponse<String>> f : answers) {
        HttpResponse<String> r = f.get();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        admins += json(r).at("/user/admin").asBoolean() ? 1 : 0;
      }
      assertThat(admins).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    try (Connection c = api.database().connection()) {
      assertThat(Jdbc.one(c, "SELECT COUNT(*) FROM users WHERE is_admin = TRUE", r -> r.getInt(1)))
          .contains(1);
    }
  }

  @Test
  void firstAdministratorIsDecidedByTheDatabaseEvenWhenRacesOverlap() throws Exception {
    // the store itself, many rounds: each round empties the table and lets 8 threads race
    Store store = new Store(new Jdbc(api.database()));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 10; round++) {
        try (Connection c = api.database().connection()) {
          Jdbc.update(c, "DELETE FROM users");
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Store.User>> made = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          String email = "r" + round + "-" + i + "@example.com";
          made.add(
              pool.submit(
                  () -> {
                    go.await();
                    return store.createUser(email, "hash", null).orElseThrow();
                  }));
        }
        go.countDown();
        int admins = 0;
        for (Future<Store.User> f : made) {
          admins += f.get().admin() ? 1 : 0;
        }
        assertThat(admins).as("round " + round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void conversationIsReadInPagesThatNeverPassTheByteCap() throws Exception {
    String token = register("pager@example.com");
    String big = "x".repeat(400_000);
    String conversation = conversationOf(token, "one", big, "two", big, "three", big);
    // six messages, ~1.2 MB of content: more than one page's cap
    List<String> contents = new ArrayList<>();
    int pages =
        eachPage(
            token,
            conversation,
            10,
            page -> {
              assertThat(page.get("title").asText()).isEqualTo("one");
              List<String> these = new ArrayList<>();
              page.get("messages").forEach(m -> these.add(m.get("content").asText()));
              contents.addAll(0, these); // pages go back in time; each is oldest first
            });
    assertThat(pages).isGreaterThan(1);
    assertThat(contents).containsExactly("one", big, "two", big, "three", big);
    assertThat(metrics())
        .contains("uat_api_limit_hits_total{uat_api_limit=\"conversation_response_bytes\"}");

    // a limit in messages pages too, and a bad cursor is a 400
    JsonNode two =
        json(call("GET", "/api/conversations/" + conversation + "?limit=2", token, null));
    assertThat(two.get("messages")).extracting(m -> m.get("content").asText()).hasSize(2);
    assertThat(two.get("next_cursor").isNull()).isFalse();
    assertThat(
            call("GET", "/api/conversations/" + conversation + "?cursor=abc", token, null)
                .statusCode())
        .isEqualTo(400);
    assertThat(
            call("GET", "/api/conversations/" + conversation + "?limit=1001", token, null)
                .statusCode())
        .isEqualTo(400);
  }

  @Test
  void parallelReadsOfAConversationOfHugeMessagesStayBoundedAndChatsGoOn() throws Exception {
    // 12 answers of 1,000,000 two-byte characters (the most an answer may hold): 24 MB as Java
    // strings and 24 MB of JSON. Read whole, eight at once, that is far past the launcher's 256 MiB
    // heap (this suite runs under -Xmx256m -XX:+ExitOnOutOfMemoryError, api/pom.xml).
    String token = register("flood@example.com");
    routerAnswers();
    String conversation = newConversation(token, "start");
    Store store = new Store(new Jdbc(api.database()));
    String huge = "\u0436".repeat(RouterClient.MAX_ANSWER_CHARS);
    for (int i = 0; i < 12; i++) {
      store.addMessage(
          conversation,
          new Store.Message(Store.newId(), "assistant", huge, "m", 1, 1, null, Jdbc.now()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> reads = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        reads.add(
            pool.submit(
                () -> {
                  int[] messages = {0};
                  eachPage(
                      token,
                      conversation,
                      Integer.MAX_VALUE,
                      page -> messages[0] += page.get("messages").size());
                  return messages[0];
                }));
      }
      for (Future<Integer> f : reads) {
        assertThat(f.get()).isEqualTo(14); // every message, one page at a time
      }
    } finally {
      pool.shutdownNow();
    }
    routerAnswers();
    var chat = chat(token, conversation, "still there?");
    assertThat(chat.statusCode()).isEqualTo(200);
    assertThat(metrics())
        .contains("uat_api_limit_hits_total{uat_api_limit=\"conversation_response_bytes\"}")
        .contains("uat_api_limit_hits_total{uat_api_limit=\"history_bytes\"}");
  }

  @Test
  void messageLargerThanTheWholeCapIsSentCut() throws Exception {
    String token = register("huge@example.com");
    // two UTF-8 bytes a character: the plan (one a character) fits, the measure does not
    String huge = "\u00e9".repeat(600_000);
    // characters that JSON escapes six bytes each: the plan fits, the measure does not
    String escaped = "\u0001".repeat(300_000);
    String conversation = conversationOf(token, "tell me everything", huge, "and more", escaped);

    var r = call("GET", "/api/conversations/" + conversation + "?limit=1", token, null);
    assertThat(r.body().getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(ConversationPages.MAX_RESPONSE_BYTES);
    JsonNode newest = json(r).at("/messages/0");
    assertThat(newest.get("truncated").asBoolean()).isTrue();
    assertThat(newest.get("content_chars").asLong()).isEqualTo(300_000);
    assertThat(escaped).startsWith(newest.get("content").asText());

    String cursor = json(r).get("next_cursor").asText();
    var older =
        call(
            "GET", "/api/conversations/" + conversation + "?limit=1&cursor=" + cursor, token, null);
    assertThat(older.body().getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(ConversationPages.MAX_RESPONSE_BYTES);
    JsonNode olderOne = json(older).at("/messages/0");
    assertThat(olderOne.get("role").asText()).isEqualTo("user");
    cursor = json(older).get("next_cursor").asText();
    JsonNode cut =
        json(call(
                "GET",
                "/api/conversations/" + conversation + "?limit=1&cursor=" + cursor,
                token,
                null))
            .at("/messages/0");
    assertThat(cut.get("truncated").asBoolean()).isTrue();
    assertThat(cut.get("content_chars").asLong()).isEqualTo(600_000);
    assertThat(cut.get("content").asText().length()).isLessThan(600_000).isGreaterThan(100_000);
    assertThat(huge).startsWith(cut.get("content").asText());
    assertThat(metrics()).contains("uat_api_limit_hits_total{uat_api_limit=\"message_truncated\"}");

    // the chat context is bounded too: the next question does not carry both answers whole
    routerAnswers();
    router.takeRequest();
    router.takeRequest();
    chat(token, conversation, "short?");
    String sent = router.takeRequest().getBody().utf8();
    assertThat(sent.length()).isLessThan(2 * (int) ChatRoutes.MAX_HISTORY_CHARS);
    assertThat(sent).contains("short?");
    assertThat(metrics()).contains("uat_api_limit_hits_total{uat_api_limit=\"history_bytes\"}");
  }
}
