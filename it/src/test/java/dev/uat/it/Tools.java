package dev.uat.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The repository's paths and the real programs the tests run (nginx, promtool, amtool, …). A test
 * that needs a program which is not installed is skipped with a loud message on stderr; {@code
 * .ci/run} installs every one of them, so in CI nothing is skipped. Not thread-safe (tests call it
 * from one thread).
 */
final class Tools {
  private Tools() {}

  /** The repository's root (Surefire runs in the module's directory). */
  static Path root() {
    Path here = Path.of("").toAbsolutePath();
    return Files.isDirectory(here.resolve("deploy")) ? here : here.getParent();
  }

  static Path deploy(String first, String... more) {
    return root().resolve("deploy").resolve(Path.of(first, more));
  }

  /** The first of {@code names} found on PATH (or as an absolute path), or null. */
  static String find(String... names) {
    for (String name : names) {
      if (name.startsWith("/") && Files.isExecutable(Path.of(name))) {
        return name;
      }
      for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
        Path p = Path.of(dir, name);
        if (!dir.isEmpty() && Files.isExecutable(p)) {
          return p.toString();
        }
      }
    }
    return null;
  }

  /** Like {@link #find}, but skips the calling test, loudly, when none is installed. */
  static String require(String what, String... names) {
    String found = find(names);
    if (found == null) {
      System.err.println(
          "\n*** SKIPPED: "
              + what
              + " is not installed ("
              + String.join(", ", names)
              + "); .ci/run installs it. THIS CHECK DID NOT RUN. ***\n");
    }
    assumeTrue(found != null, what + " is not installed");
    return found;
  }

  record Result(int exit, String output) {}

  /** Runs a command (output merged), at most {@code seconds}; kills it on timeout. */
  static Result run(Path dir, int seconds, List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.redirectErrorStream(true);
    Path out = Files.createTempFile("uat-it-", ".out");
    pb.redirectOutput(out.toFile());
    Process p = pb.start();
    try {
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError(command + " did not finish in " + seconds + " s");
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
    }
  }

  static Result run(Path dir, List<String> command) throws Exception {
    return run(dir, 60, command);
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
