package dev.uat.auth;

/** The claims and values of the platform's one JWT scheme, in one place. */
public final class JwtScheme {
  public static final String ISSUER = "uat";
  public static final String AUDIENCE = "uat";

  /** Claim that says what a token is for: {@link #ACCESS}, {@link #REFRESH}, {@link #SERVICE}. */
  public static final String TOKEN_USE = "token_use";

  public static final String ACCESS = "access";
  public static final String REFRESH = "refresh";
  public static final String SERVICE = "service";
  public static final String SCOPE = "scope";
  public static final String FAMILY = "fam";

  /** The login session an access token belongs to. */
  public static final String SESSION = "sid";

  /** Clock skew tolerated on {@code exp} and {@code nbf}. */
  public static final int MAX_CLOCK_SKEW_SECONDS = 30;

  private JwtScheme() {}
}
