package dev.uat.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenVerifierTest {
  private final JwtKeys keys = JwtKeys.ephemeral();
  private final TokenIssuer issuer = new TokenIssuer(keys);
  private final TokenVerifier verifier = TokenVerifier.local(keys);

  @Test
  void validAccessTokenGivesItsPrincipal() throws Exception {
    var token = issuer.access("user-1", Set.of("chat", "admin"));
    Principal p = verifier.verifyAccess(token.value());
    assertThat(p.userId()).isEqualTo("user-1");
    assertThat(p.scopes()).containsExactlyInAnyOrder("chat", "admin");
    assertThat(p.expiresAt())
        .isEqualTo(token.expiresAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }

  @Test
  void verifiedTokensAreCachedUntilTheyExpire() throws Exception {
    var token = issuer.access("user-1", Set.of("chat"));
    var now = new java.util.concurrent.atomic.AtomicReference<>(Instant.now());
    var keyLookups = new java.util.concurrent.atomic.AtomicInteger();
    com.nimbusds.jose.jwk.source.JWKSource<com.nimbusds.jose.proc.SecurityContext> counting =
        (selector, context) -> {
          keyLookups.incrementAndGet();
          return selector.select(keys.publicKeys());
        };
    Clock clock =
        new Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now.get();
          }
        };
    TokenVerifier cached = new TokenVerifier(counting, "uat-service", 64 * 1024, clock);

    assertThat(cached.verifyAccess(token.value()).userId()).isEqualTo("user-1");
    assertThat(cached.verifyAccess(token.value()).userId()).isEqualTo("user-1");
    assertThat(keyLookups).hasValue(1); // the second answer came from the cache

    now.set(token.expiresAt().plusSeconds(JwtScheme.MAX_CLOCK_SKEW_SECONDS + 1));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> cached.verifyAccess(token.value()))
        .isInstanceOfSatisfying(
            InvalidTokenException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.EXPIRED));
    // expired in the cache: dropped, so the next try is checked in full again
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> cached.verifyAccess(token.value()))
        .isInstanceOf(InvalidTokenException.class);
    assertThat(keyLookups).hasValue(2);
  }

  @Test
  void tamperedPayloadIsRejected() {
    String[] parts = issuer.access("user-1", Set.of("chat")).value().split("\\.");
    String payload =
        new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
            .replace("user-1", "user-2");
    String forged =
        parts[0]
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(payload.getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2];
    assertThatThrownBy(() -> verifier.verifyAccess(forged))
        .isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void aValidTokenWithCharactersNoTokenHasIsRejected() throws Exception {
    String token = issuer.access("user-1", Set.of("chat")).value();
    // the JWT library's base64url decoder skips these; in the signature (not part of what is
    // signed) they left a token that verified
    for (int at : List.of(token.indexOf('.') + 5, token.lastIndexOf('.') + 5)) {
      for (String junk : List.of(" ", "\t", "\n", "\u0000", "!", "=", "é", "\u202e", "+", "/")) {
        String spoiled = token.substring(0, at) + junk + token.substring(at);
        assertThatThrownBy(() -> verifier.verifyAccess(spoiled))
            .as("junk %s at %d", junk.codePointAt(0), at)
            .isInstanceOf(InvalidTokenException.class)
            .hasMessage("malformed token");
      }
    }
    assertThatThrownBy(() -> verifier.verifyAccess(token + ".more"))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessage("malformed token");
    assertThat(verifier.verifyAccess(token).userId()).isEqualTo("user-1");
  }

  @Test
  void tokenSignedByAnotherKeyIsRejected() {
    var other = new TokenIssuer(JwtKeys.ephemeral()).access("user-1", Set.of("chat"));
    assertThatThrownBy(() -> verifier.verifyAccess(other.value()))
        .isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void expiredTokenIsRejected() {
    Clock past = Clock.fixed(Instant.now().minus(Duration.ofHours(1)), ZoneOffset.UTC);
    var old = new TokenIssuer(keys, past).access("user-1", Set.of("chat"));
    assertThatThrownBy(() -> verifier.verifyAccess(old.value()))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("xpired");
  }

  @Test
  void algNoneIsRejected() {
    String unsigned = new PlainJWT(claims("user-1").build()).serialize();
    assertThatThrownBy(() -> verifier.verifyAccess(unsigned))
        .isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void hmacSignedWithThePublicKeyIsRejected() throws Exception {
    // algorithm confusion: an attacker signs HS256 with the (public) key material as the secret
    byte[] secret = keys.publicKeys().toString().getBytes(StandardCharsets.UTF_8);
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(keys.keyId()).build(),
            claims("user-1").build());
    jwt.sign(new MACSigner(secret));
    assertThatThrownBy(() -> verifier.verifyAccess(jwt.serialize()))
        .isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void refreshTokenIsNotAnAccessToken() throws Exception {
    var refresh = issuer.refresh("user-1", "family-1", "jti-1");
    assertThatThrownBy(() -> verifier.verifyAccess(refresh.value()))
        .isInstanceOf(InvalidTokenException.class);
    assertThat(verifier.verifyRefresh(refresh.value()).getSubject()).isEqualTo("user-1");
  }

  @Test
  void serviceTokenMustBeAddressedToThisService() throws Exception {
    var token = issuer.service("uat-api", "uat-realtime");
    assertThat(TokenVerifier.local(keys, "uat-realtime").verifyService(token.value()))
        .isEqualTo("uat-api");
    assertThatThrownBy(() -> TokenVerifier.local(keys, "uat-router").verifyService(token.value()))
        .isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void garbageAndEmptyTokensAreRejected() {
    assertThatThrownBy(() -> verifier.verifyAccess("not.a.jwt"))
        .isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verifyAccess("")).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verifyAccess(null)).isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void bearerParsesTheAuthorizationHeader() {
    assertThat(TokenVerifier.bearer("Bearer abc")).isEqualTo("abc");
    assertThat(TokenVerifier.bearer("bearer  abc")).isEqualTo("abc");
    assertThat(TokenVerifier.bearer("Basic abc")).isNull();
    assertThat(TokenVerifier.bearer(null)).isNull();
    assertThat(TokenVerifier.bearer(" Bearer\t abc def ")).isEqualTo("abc def");
    assertThat(TokenVerifier.bearer("Bearer")).isNull();
    assertThat(TokenVerifier.bearer("Bearer ")).isNull();
    assertThat(TokenVerifier.bearer("Bearerabc")).isNull();
    assertThat(TokenVerifier.bearer("Bearer\u00A0abc")).isNull(); // not whitespace to \\s
  }

  @Test
  void keyIsCreatedOwnerOnlyAndReloadedOnNextStart(@TempDir Path dir) throws Exception {
    JwtKeys first = JwtKeys.loadOrCreate(dir);
    Path file = dir.resolve(JwtKeys.FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    JwtKeys second = JwtKeys.loadOrCreate(dir);
    assertThat(second.keyId()).isEqualTo(first.keyId());
    var token = new TokenIssuer(first).access("u", Set.of());
    assertThat(TokenVerifier.local(second).verifyAccess(token.value()).userId()).isEqualTo("u");
    assertThat(first.toString()).doesNotContain("\"d\"");
  }

  private static JWTClaimsSet.Builder claims(String sub) {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder()
        .issuer(JwtScheme.ISSUER)
        .audience(List.of(JwtScheme.AUDIENCE))
        .subject(sub)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(600)))
        .jwtID("x")
        .claim(JwtScheme.TOKEN_USE, JwtScheme.ACCESS);
  }
}
