package dev.uat.bench;

import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.Principal;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What verifying the access token costs on every request of the chat path (ES256 signature,
 * claims), against signing one (login).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TokenVerificationBenchmark {
  private TokenIssuer issuer;
  private TokenVerifier verifier;
  private TokenVerifier uncached;
  private String token;

  @Setup
  public void setup() {
    JwtKeys keys = JwtKeys.ephemeral();
    issuer = new TokenIssuer(keys);
    verifier = TokenVerifier.local(keys);
    uncached = TokenVerifier.local(keys, "uat-service", 0);
    token = issuer.access("user-1", Set.of("chat")).value();
  }

  /** Every request but a token's first: the verified token is found in the cache. */
  @Benchmark
  public Principal verifyKnownAccessToken() throws InvalidTokenException {
    return verifier.verifyAccess(token);
  }

  /** A token's first request: the full ES256 and claims check. */
  @Benchmark
  public Principal verifyNewAccessToken() throws InvalidTokenException {
    return uncached.verifyAccess(token);
  }

  @Benchmark
  public String issueAccessToken() {
    return issuer.access("user-1", Set.of("chat")).value();
  }
}
