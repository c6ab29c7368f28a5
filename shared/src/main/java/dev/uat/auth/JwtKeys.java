package dev.uat.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;

/**
 * The platform's token signing key: an ES256 (P-256) key pair, generated at first start and kept in
 * the data directory with mode 0600, or given by configuration. There is no default key.
 *
 * <p>Only the api signs; every other component verifies with the public half, in-process or fetched
 * from the api's JWKS endpoint.
 */
public final class JwtKeys {
  /** File name of the key in the data directory. */
  public static final String FILE = "jwt-signing-key.jwk";

  private final ECKey key;

  private JwtKeys(ECKey key) {
    if (!key.isPrivate()) {
      throw new IllegalArgumentException("the signing key must include its private part");
    }
    this.key = key;
  }

  /** Reads the key from {@code dir}, generating and storing one (0600) if there is none. */
  public static JwtKeys loadOrCreate(Path dir) {
    requireNonNull(dir, "dir");
    Path file = dir.resolve(FILE);
    try {
      if (Files.exists(file)) {
        return fromJson(Files.readString(file, StandardCharsets.UTF_8));
      }
      Files.createDirectories(dir);
      ECKey generated = generate();
      Path tmp = Files.createTempFile(dir, FILE, ".tmp", ownerOnly());
      Files.writeString(tmp, generated.toJSONString(), StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file);
      } catch (FileAlreadyExistsException e) { // another process won the race: use its key
        Files.deleteIfExists(tmp);
        return fromJson(Files.readString(file, StandardCharsets.UTF_8));
      }
      return new JwtKeys(generated);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the JWT signing key in " + dir, e);
    }
  }

  /** A key given as a private JWK (JSON), e.g. from {@code UAT_JWT_KEY}. */
  public static JwtKeys fromJson(String jwk) {
    try {
      return new JwtKeys(ECKey.parse(jwk));
    } catch (ParseException e) {
      throw new IllegalArgumentException("the JWT signing key is not a valid EC JWK", e);
    }
  }

  /** A fresh key that lives in memory only (tests, throwaway instances). */
  public static JwtKeys ephemeral() {
    return new JwtKeys(generate());
  }

  private static ECKey generate() {
    try {
      ECKey k =
          new ECKeyGenerator(Curve.P_256)
              .keyUse(KeyUse.SIGNATURE)
              .algorithm(JWSAlgorithm.ES256)
              .keyIDFromThumbprint(true)
              .generate();
      return k;
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate an EC key", e);
    }
  }

  private static java.nio.file.attribute.FileAttribute<?>[] ownerOnly() {
    try {
      return new java.nio.file.attribute.FileAttribute<?>[] {
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
      };
    } catch (UnsupportedOperationException e) {
      return new java.nio.file.attribute.FileAttribute<?>[0];
    }
  }

  ECKey signingKey() {
    return key;
  }

  public String keyId() {
    return key.getKeyID();
  }

  /** The public key set, as served at {@code /api/auth/jwks}. */
  public JWKSet publicKeys() {
    return new JWKSet(key.toPublicJWK());
  }

  @Override
  public String toString() {
    return "JwtKeys{kid=" + keyId() + "}"; // never the key
  }
}
