package dev.uat.auth;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Verifies the platform's tokens identically in every component: signature by a key of the
 * platform's key set (ES256 only, so {@code alg: none} and HMAC-with-the-public-key confusion are
 * rejected before any signature check), issuer, audience, expiry with {@value
 * JwtScheme#MAX_CLOCK_SKEW_SECONDS}s skew, and what the token is for. Thread-safe.
 */
public final class TokenVerifier {
  /**
   * Bytes of verified access tokens kept, by default: an ES256 check costs ~0.4 ms, a lookup ~0.
   * Only tokens with a valid signature enter, each weighed by its length (~1.5 KB with its
   * principal), so ~2,500 tokens fit.
   */
  public static final int DEFAULT_CACHE_SIZE = 4 * 1024 * 1024;

  private final DefaultJWTProcessor<SecurityContext> access;
  private final int cacheSize;
  private final Clock clock;
  private final Cache<String, Principal> verified;
  private final DefaultJWTProcessor<SecurityContext> refresh;
  private final DefaultJWTProcessor<SecurityContext> service;

  private TokenVerifier(JWKSource<SecurityContext> keys, String serviceAudience, int cacheSize) {
    this(keys, serviceAudience, cacheSize, Clock.systemUTC());
  }

  /** With the clock that decides when a cached token has expired (tests). */
  TokenVerifier(
      JWKSource<SecurityContext> keys, String serviceAudience, int cacheSize, Clock clock) {
    this.clock = clock;
    if (cacheSize < 0) {
      throw new IllegalArgumentException("cacheSize must not be negative");
    }
    this.cacheSize = cacheSize;
    this.verified =
        Caffeine.newBuilder()
            .maximumWeight(cacheSize)
            .<String, Principal>weigher((token, p) -> 400 + 2 * token.length())
            .build();
    this.access = processor(keys, JwtScheme.AUDIENCE, JwtScheme.ACCESS);
    this.refresh = processor(keys, JwtScheme.AUDIENCE, JwtScheme.REFRESH);
    this.service = processor(keys, serviceAudience, JwtScheme.SERVICE);
  }

  /** Verifies with keys held in this process (the all-in-one mode). */
  public static TokenVerifier local(JwtKeys keys) {
    return local(keys, "uat-service");
  }

  /** Verifies with local keys; service tokens must be addressed to {@code serviceAudience}. */
  public static TokenVerifier local(JwtKeys keys, String serviceAudience) {
    return local(keys, serviceAudience, DEFAULT_CACHE_SIZE);
  }

  /**
   * Verifies with local keys, keeping up to {@code cacheSize} bytes of verified access tokens (0:
   * verify every time). A kept token is the exact string that passed every check; it is still
   * refused once expired.
   */
  public static TokenVerifier local(JwtKeys keys, String serviceAudience, int cacheSize) {
    return new TokenVerifier(new ImmutableJWKSet<>(keys.publicKeys()), serviceAudience, cacheSize);
  }

  /**
   * Verifies with the key set served at {@code jwksUrl} (e.g. {@code
   * http://api:9999/api/auth/jwks}), cached and refreshed by the JOSE library; a token with an
   * unknown key id triggers a refetch (rate limited), so key rotation needs no restart.
   */
  public static TokenVerifier remote(String jwksUrl, String serviceAudience) {
    try {
      JWKSource<SecurityContext> source =
          JWKSourceBuilder.create(URI.create(jwksUrl).toURL()).retrying(true).build();
      return new TokenVerifier(source, serviceAudience, DEFAULT_CACHE_SIZE);
    } catch (MalformedURLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a JWKS URL: " + jwksUrl, e);
    }
  }

  /** The principal of a valid access token. */
  public Principal verifyAccess(String token) throws InvalidTokenException {
    if (token != null && cacheSize > 0) {
      Principal known = verified.getIfPresent(token);
      if (known != null) {
        if (clock
            .instant()
            .isBefore(known.expiresAt().plusSeconds(JwtScheme.MAX_CLOCK_SKEW_SECONDS))) {
          return known;
        }
        verified.invalidate(token);
        throw new InvalidTokenException(InvalidTokenException.Reason.EXPIRED, "Expired JWT");
      }
    }
    Principal principal = principal(process(access, token));
    if (!clock
        .instant()
        .isBefore(principal.expiresAt().plusSeconds(JwtScheme.MAX_CLOCK_SKEW_SECONDS))) {
      throw new InvalidTokenException(InvalidTokenException.Reason.EXPIRED, "Expired JWT");
    }
    if (cacheSize > 0) {
      verified.put(token, principal);
    }
    return principal;
  }

  private static Principal principal(JWTClaimsSet claims) {
    String scope = (String) claims.getClaim(JwtScheme.SCOPE);
    Set<String> scopes =
        scope == null || scope.isBlank()
            ? Set.of()
            : new HashSet<>(Arrays.asList(scope.split(" ")));
    Object sid = claims.getClaim(JwtScheme.SESSION);
    return new Principal(
        claims.getSubject(),
        scopes,
        claims.getJWTID(),
        claims.getExpirationTime().toInstant(),
        sid instanceof String s ? s : null);
  }

  /** The claims of a valid refresh token (subject, family, jti). */
  public JWTClaimsSet verifyRefresh(String token) throws InvalidTokenException {
    return process(refresh, token);
  }

  /** The calling service's name, from a valid service token addressed to this service. */
  public String verifyService(String token) throws InvalidTokenException {
    return process(service, token).getSubject();
  }

  private static JWTClaimsSet process(DefaultJWTProcessor<SecurityContext> p, String token)
      throws InvalidTokenException {
    if (token == null || token.isBlank()) {
      throw new InvalidTokenException("no token");
    }
    if (token.length() > 8192) {
      throw new InvalidTokenException("token too long");
    }
    if (!compactForm(token)) {
      throw new InvalidTokenException("malformed token");
    }
    try {
      return p.process(token, null);
    } catch (BadJWTException e) { // expired, wrong audience, ...
      String message = String.valueOf(e.getMessage());
      throw new InvalidTokenException(
          message.startsWith("Expired")
              ? InvalidTokenException.Reason.EXPIRED
              : InvalidTokenException.Reason.INVALID,
          message);
    } catch (BadJOSEException e) {
      throw new InvalidTokenException("signature or algorithm not accepted");
    } catch (ParseException e) {
      throw new InvalidTokenException("malformed token");
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new InvalidTokenException("token could not be verified");
    } catch (RuntimeException e) { // e.g. the remote key set is unreachable
      throw new InvalidTokenException("token could not be verified: " + e.getMessage());
    }
  }

  /**
   * Whether {@code token} has the form of every token the platform issues: three base64url parts
   * (no padding) joined by two dots. The JWT library decodes base64url leniently, skipping what is
   * outside the alphabet, so without this a token with spaces, control or non-ASCII characters
   * added to a valid one verified, and was then passed on in headers that cannot carry it.
   */
  static boolean compactForm(String token) {
    int dots = 0;
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == '.') {
        dots++;
      } else if (!((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_')) {
        return false;
      }
    }
    return dots == 2;
  }

  private static DefaultJWTProcessor<SecurityContext> processor(
      JWKSource<SecurityContext> keys, String audience, String use) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT));
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, requireNonNull(keys)));
    DefaultJWTClaimsVerifier<SecurityContext> claims =
        new DefaultJWTClaimsVerifier<>(
            Set.of(audience),
            new JWTClaimsSet.Builder()
                .issuer(JwtScheme.ISSUER)
                .claim(JwtScheme.TOKEN_USE, use)
                .build(),
            Set.of("sub", "exp", "iat", "jti"),
            null);
    claims.setMaxClockSkew(JwtScheme.MAX_CLOCK_SKEW_SECONDS);
    p.setJWTClaimsSetVerifier(claims);
    return p;
  }

  /** The bearer token of an {@code Authorization} header value, or null. */
  public static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    // by hand rather than split("\\s+", 2): a regex compiled on every request was the largest
    // allocation of the router's authentication
    String s = authorization.trim();
    int scheme = 0;
    while (scheme < s.length() && !isSpace(s.charAt(scheme))) {
      scheme++;
    }
    if (scheme != 6 || !s.regionMatches(true, 0, "Bearer", 0, 6)) {
      return null;
    }
    int credential = scheme;
    while (credential < s.length() && isSpace(s.charAt(credential))) {
      credential++;
    }
    return credential == scheme ? null : s.substring(credential);
  }

  /**
   * What the regex class {@code \s} matches: space, tab, line feed, vertical tab, form feed,
   * carriage return.
   */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }
}
