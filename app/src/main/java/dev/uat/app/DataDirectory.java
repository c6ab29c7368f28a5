package dev.uat.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory holds the signing key, the database and the trace journal: only its owner may
 * enter it. It is created with mode 0700, and an existing one that others could enter is tightened
 * to 0700 (with a warning). Files inside are made by a process whose launcher sets {@code umask
 * 077}; the directory's mode protects them whatever theirs is.
 */
final class DataDirectory {
  private static final Logger log = LoggerFactory.getLogger(DataDirectory.class);
  static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

  private DataDirectory() {}

  /** Creates {@code dir} owner-only, or tightens it; returns it. */
  static Path prepare(Path dir) {
    try {
      boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
      if (!Files.exists(dir)) {
        if (posix) {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
          Files.createDirectories(dir);
        }
      }
      if (posix) {
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        Set<PosixFilePermission> now = view.readAttributes().permissions();
        if (!now.equals(OWNER_ONLY)) {
          view.setPermissions(OWNER_ONLY);
          if (now.stream().anyMatch(p -> !OWNER_ONLY.contains(p))) {
            log.warn(
                "data directory {} was {}; it holds keys and data, so it is now rwx------",
                dir.toAbsolutePath(),
                PosixFilePermissions.toString(now));
          }
        }
      }
      return dir;
    } catch (IOException e) {
      throw new Config.ConfigException(
          "cannot create the data directory " + dir.toAbsolutePath() + ": " + e.getMessage());
    }
  }
}
