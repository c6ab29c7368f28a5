package dev.uat.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Signs the platform's tokens. Access tokens are short-lived and carry the scopes; refresh tokens
 * carry only the subject and a family id, and are accepted by the api's refresh endpoint alone.
 * Thread-safe.
 */
public final class TokenIssuer {
  public static final Duration ACCESS_TTL = Duration.ofMinutes(15);
  public static final Duration REFRESH_TTL = Duration.ofDays(30);

  private final JwtKeys keys;
  private final ECDSASigner signer;
  private final Clock clock;

  public TokenIssuer(JwtKeys keys) {
    this(keys, Clock.systemUTC());
  }

  public TokenIssuer(JwtKeys keys, Clock clock) {
    this.keys = requireNonNull(keys, "keys");
    this.clock = requireNonNull(clock, "clock");
    try {
      this.signer = new ECDSASigner(keys.signingKey());
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable signing key", e);
    }
  }

  /** A signed token and when it expires. */
  public record Token(String value, Instant expiresAt) {
    @Override
    public String toString() {
      return "Token{expiresAt=" + expiresAt + "}"; // never the value
    }
  }

  public Token access(String userId, Set<String> scopes) {
    return access(userId, scopes, null);
  }

  /** An access token of login session {@code sessionId} (claim {@code sid}; may be null). */
  public Token access(String userId, Set<String> scopes, String sessionId) {
    Instant now = clock.instant();
    Instant exp = now.plus(ACCESS_TTL);
    JWTClaimsSet.Builder claims =
        base(userId, now, exp)
            .claim(JwtScheme.TOKEN_USE, JwtScheme.ACCESS)
            .claim(JwtScheme.SCOPE, String.join(" ", scopes.stream().sorted().toList()));
    if (sessionId != null) {
      claims.claim(JwtScheme.SESSION, sessionId);
    }
    return new Token(sign(claims.build()), exp);
  }

  /**
   * A refresh token of the given family. {@code tokenId} is the id the api records to detect reuse.
   */
  public Token refresh(String userId, String familyId, String tokenId) {
    Instant now = clock.instant();
    Instant exp = now.plus(REFRESH_TTL);
    JWTClaimsSet claims =
        base(userId, now, exp)
            .jwtID(tokenId)
            .claim(JwtScheme.TOKEN_USE, JwtScheme.REFRESH)
            .claim(JwtScheme.FAMILY, familyId)
            .build();
    return new Token(sign(claims), exp);
  }

  /** A short-lived token one service presents to another (audience {@code service}). */
  public Token service(String serviceName, String audience) {
    Instant now = clock.instant();
    Instant exp = now.plus(Duration.ofMinutes(5));
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(JwtScheme.ISSUER)
            .audience(List.of(audience))
            .subject(serviceName)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(exp))
            .jwtID(UUID.randomUUID().toString())
            .claim(JwtScheme.TOKEN_USE, JwtScheme.SERVICE)
            .build();
    return new Token(sign(claims), exp);
  }

  private static JWTClaimsSet.Builder base(String userId, Instant now, Instant exp) {
    return new JWTClaimsSet.Builder()
        .issuer(JwtScheme.ISSUER)
        .audience(List.of(JwtScheme.AUDIENCE))
        .subject(requireNonNull(userId, "userId"))
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(exp))
        .jwtID(UUID.randomUUID().toString());
  }

  private String sign(JWTClaimsSet claims) {
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.ES256)
            .type(JOSEObjectType.JWT)
            .keyID(keys.keyId())
            .build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a token", e);
    }
    return jwt.serialize();
  }
}
