package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Accounts, sessions and their tokens, API keys, the audit trail; runs on H2 and PostgreSQL. */
abstract class AbstractAuthTest extends ApiFixture {

  @Test
  void firstAccountIsTheAdministratorAndOnlyIt() throws Exception {
    assertThat(registered("first@example.com").at("/user/admin").asBoolean()).isTrue();
    assertThat(registered("second@example.com").at("/user/admin").asBoolean()).isFalse();
  }

  @Test
  void refreshRotatesTheTokensOfTheSession() throws Exception {
    JsonNode first = registered("rot@example.com");
    var r = refresh(first.get("refresh_token").asText());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode second = json(r);
    assertThat(second.get("session_id").asText()).isEqualTo(first.get("session_id").asText());
    assertThat(second.get("refresh_token").asText())
        .isNotEqualTo(first.get("refresh_token").asText());
    assertThat(call("GET", "/api/me", second.get("access_token").asText(), null).statusCode())
        .isEqualTo(200);
    var third = refresh(second.get("refresh_token").asText());
    assertThat(third.statusCode()).isEqualTo(200);
  }

  @Test
  void reusedRefreshTokenEndsTheWholeSession() throws Exception {
    JsonNode first = registered("reuse@example.com");
    String stolen = first.get("refresh_token").asText();
    JsonNode rotated = json(refresh(stolen));

    var replay = refresh(stolen);

    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(json(replay).at("/error/code").asText()).isEqualTo("refresh_token_reused");
    // the legitimate holder's newer tokens die with the family
    var newer = refresh(rotated.get("refresh_token").asText());
    assertThat(newer.statusCode()).isEqualTo(401);
    assertThat(call("GET", "/api/me", rotated.get("access_token").asText(), null).statusCode())
        .isEqualTo(401);
    // and an administrator can see it happened
    String admin =
        first.get("access_token").asText(); // first account: admin, but its session ended
    String adminNow = login("reuse@example.com").get("access_token").asText();
    JsonNode audit = json(call("GET", "/api/audit?event=refresh_token_reused", adminNow, null));
    assertThat(audit.get("data")).hasSize(1);
    assertThat(admin).isNotEqualTo(adminNow);
  }

  @Test
  void badRefreshTokensAreRefused() throws Exception {
    JsonNode user = registered("badrefresh@example.com");
    assertThat(
            call("POST", "/api/auth/refresh", null, "{\"refresh_token\":\"nonsense\"}")
                .statusCode())
        .isEqualTo(401);
    // an access token is not a refresh token
    var access = refresh(user.get("access_token").asText());
    assertThat(access.statusCode()).isEqualTo(401);
    assertThat(call("POST", "/api/auth/refresh", null, "{}").statusCode()).isEqualTo(401);
  }

  @Test
  void logoutEndsTheSessionAndItsAccessToken() throws Exception {
    JsonNode user = registered("out@example.com");
    String access = user.get("access_token").asText();
    assertThat(call("POST", "/api/auth/logout", access, null).statusCode()).isEqualTo(204);
    assertThat(call("GET", "/api/me", access, null).statusCode()).isEqualTo(401);
    var refresh = refresh(user.get("refresh_token").asText());
    assertThat(refresh.statusCode()).isEqualTo(401);
  }

  @Test
  void logoutAllEndsEverySession() throws Exception {
    registered("all@example.com");
    String a = login("all@example.com").get("access_token").asText();
    String b = login("all@example.com").get("access_token").asText();
    var r = call("POST", "/api/auth/logout-all", a, null);
    assertThat(json(r).get("ended").asInt()).isEqualTo(3);
    assertThat(call("GET", "/api/me", a, null).statusCode()).isEqualTo(401);
    assertThat(call("GET", "/api/me", b, null).statusCode()).isEqualTo(401);
  }

  @Test
  void sessionsAreListedAndRevokedByTheirOwner() throws Exception {
    JsonNode first = registered("sess@example.com");
    JsonNode second = login("sess@example.com");
    String token = second.get("access_token").asText();
    JsonNode list = json(call("GET", "/api/auth/sessions", token, null)).get("data");
    assertThat(list).hasSize(2);
    assertThat(list)
        .filteredOn(s -> s.get("current").asBoolean())
        .singleElement()
        .satisfies(
            s -> assertThat(s.get("id").asText()).isEqualTo(second.get("session_id").asText()));

    String other = register("intruder@example.com");
    assertThat(
            call("DELETE", "/api/auth/sessions/" + first.get("session_id").asText(), other, null)
                .statusCode())
        .isEqualTo(404);
    assertThat(
            call("DELETE", "/api/auth/sessions/" + first.get("session_id").asText(), token, null)
                .statusCode())
        .isEqualTo(204);
    assertThat(call("GET", "/api/me", first.get("access_token").asText(), null).statusCode())
        .isEqualTo(401);
    assertThat(call("GET", "/api/me", token, null).statusCode()).isEqualTo(200);
  }

  @Test
  void profileChangesAreValidated() throws Exception {
    String token = register("prof@example.com");
    var ok = call("PATCH", "/api/me", token, "{\"display_name\":\"  Ada  \"}");
    assertThat(json(ok).get("display_name").asText()).isEqualTo("Ada");
    assertThat(call("PATCH", "/api/me", token, "{\"email\":\"x@y.zz\"}").statusCode())
        .isEqualTo(400);
    assertThat(call("PATCH", "/api/me", token, "{\"admin\":true}").statusCode()).isEqualTo(400);
    assertThat(
            call("PATCH", "/api/me", token, "{\"display_name\":\"" + "x".repeat(101) + "\"}")
                .statusCode())
        .isEqualTo(400);
    assertThat(json(call("GET", "/api/me", token, null)).get("display_name").asText())
        .isEqualTo("Ada");
  }

  @Test
  void expiredAndForeignTokensAreRefused() throws Exception {
    String user = json(tryRegister("exp@example.com", PASSWORD)).at("/user/id").asText();
    JwtKeys keys = JwtKeys.loadOrCreate(dataDir);
    Clock past = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
    String expired = new TokenIssuer(keys, past).access(user, Set.of("chat")).value();
    assertThat(call("GET", "/api/me", expired, null).statusCode()).isEqualTo(401);
    String foreign = new TokenIssuer(JwtKeys.ephemeral()).access(user, Set.of("chat")).value();
    assertThat(call("GET", "/api/me", foreign, null).statusCode()).isEqualTo(401);
    String unsigned =
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
            + java.util.Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(
                    ("{\"sub\":\""
                            + user
                            + "\",\"iss\":\"uat\",\"aud\":\"uat\",\"token_use\":\"access\"}")
                        .getBytes())
            + ".";
    assertThat(call("GET", "/api/me", unsigned, null).statusCode()).isEqualTo(401);
  }

  @Test
  void apiKeysAreShownOnceStoredHashedAndWorkUntilRevoked() throws Exception {
    String token = register("keys@example.com");
    var created = call("POST", "/api/keys", token, "{\"name\":\"laptop\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String secret = json(created).get("key").asText();
    String id = json(created).get("id").asText();
    assertThat(secret).startsWith("uat_sk_").hasSize(50);
    assertThat(json(created).get("scopes")).extracting(JsonNode::asText).containsExactly("chat");

    JsonNode listed = json(call("GET", "/api/keys", token, null)).at("/data/0");
    assertThat(listed.has("key")).isFalse();
    assertThat(listed.get("prefix").asText()).isEqualTo(secret.substring(0, 11));

    // usable on /api, and describable for other services
    assertThat(call("GET", "/api/conversations", secret, null).statusCode()).isEqualTo(200);
    JsonNode self = json(call("GET", "/api/keys/self", secret, null));
    assertThat(self.get("key_id").asText()).isEqualTo(id);
    assertThat(self.get("scopes")).extracting(JsonNode::asText).containsExactly("chat");
    assertThat(self.get("rate_limit").has("requests_per_minute")).isTrue();
    assertThat(call("GET", "/api/keys/self", token, null).statusCode()).isEqualTo(400);

    // a key does not mint keys; an ordinary user gets no admin keys
    assertThat(call("POST", "/api/keys", secret, "{\"name\":\"x\"}").statusCode()).isEqualTo(403);
    register("plain@example.com");
    String plain = login("plain@example.com").get("access_token").asText();
    assertThat(
            call("POST", "/api/keys", plain, "{\"name\":\"x\",\"scopes\":[\"admin\"]}")
                .statusCode())
        .isEqualTo(403);
    assertThat(
            call("POST", "/api/keys", token, "{\"name\":\"x\",\"scopes\":[\"root\"]}").statusCode())
        .isEqualTo(400);
    assertThat(call("POST", "/api/keys", token, "{}").statusCode()).isEqualTo(400);
    assertThat(call("DELETE", "/api/keys/" + id, plain, null).statusCode()).isEqualTo(404);

    assertThat(call("DELETE", "/api/keys/" + id, token, null).statusCode()).isEqualTo(204);
    assertThat(call("GET", "/api/conversations", secret, null).statusCode()).isEqualTo(401);
    assertThat(call("GET", "/api/keys/self", secret, null).statusCode()).isEqualTo(401);
    assertThat(call("GET", "/api/conversations", "uat_sk_guessed", null).statusCode())
        .isEqualTo(401);
  }

  @Test
  void keyWithoutTheChatScopeCannotChat() throws Exception {
    String admin = register("boss@example.com");
    String adminOnly =
        json(call("POST", "/api/keys", admin, "{\"name\":\"ops\",\"scopes\":[\"admin\"]}"))
            .get("key")
            .asText();
    var r = call("POST", "/api/chat", adminOnly, "{\"message\":\"hi\"}");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(router.getRequestCount()).isZero();
  }

  @Test
  void keyWithANullOrUnknownScopeIsRefusedWith400() throws Exception {
    String user = register("scopes@example.com");
    for (String scopes : new String[] {"[null]", "[\"chat\",null]", "[\"root\"]", "[]"}) {
      var r = call("POST", "/api/keys", user, "{\"name\":\"k\",\"scopes\":" + scopes + "}");
      assertThat(r.statusCode()).as(scopes).isEqualTo(400);
      assertThat(json(r).at("/error/code").asText()).isEqualTo("invalid_request");
    }
  }

  @Test
  void auditTrailRecordsSecurityEventsForAdministrators() throws Exception {
    String admin = register("audit-admin@example.com");
    String user = register("audit-user@example.com");
    tryLogin("audit-user@example.com", "wrong password");
    String key = json(call("POST", "/api/keys", user, "{\"name\":\"k\"}")).get("id").asText();
    call("DELETE", "/api/keys/" + key, user, null);

    assertThat(call("GET", "/api/audit", user, null).statusCode()).isEqualTo(403);
    var r = call("GET", "/api/audit?limit=50", admin, null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode data = json(r).get("data");
    assertThat(data)
        .extracting(e -> e.get("event").asText())
        .contains("registered", "login_failed", "api_key_created", "api_key_revoked");
    JsonNode failed = null;
    for (JsonNode e : data) {
      if (e.get("event").asText().equals("login_failed")) {
        failed = e;
      }
    }
    assertThat(failed.get("ip").asText()).isNotBlank();
    assertThat(failed.get("user_agent").asText()).isNotBlank();
    assertThat(failed.get("trace_id").asText()).hasSize(32);
    assertThat(data.toString()).doesNotContain("wrong password");
    JsonNode onlyFailures =
        json(call("GET", "/api/audit?event=login_failed", admin, null)).get("data");
    assertThat(onlyFailures)
        .allSatisfy(e -> assertThat(e.get("event").asText()).isEqualTo("login_failed"));
  }

  @Test
  void emailsAndPasswordsStayOutOfSpans() throws Exception {
    registered("private.person@example.com");
    login("private.person@example.com");
    assertThat(otel.spans()).isNotEmpty();
    assertThat(otel.spans().toString()).doesNotContain("private.person").doesNotContain(PASSWORD);
  }

  @Test
  void jwksServesThePublicKeyOnly() throws Exception {
    var r = call("GET", "/api/auth/jwks", null, null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode key = json(r).at("/keys/0");
    assertThat(key.get("kty").asText()).isEqualTo("EC");
    assertThat(key.get("alg").asText()).isEqualTo("ES256");
    assertThat(key.has("d")).isFalse();
  }
}
