package dev.uat.web;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child process of this JVM (a real server a test started: an embedded Redis) that the test
 * freezes with {@code SIGSTOP} and thaws with {@code SIGCONT}: while frozen, its listening socket
 * still completes TCP handshakes and its open connections take bytes (the kernel does that), but
 * nothing is answered: a dependency that hangs, not one that is down. {@link #close()} thaws it, so
 * that the test's own cleanup can stop it. POSIX only ({@code kill}); not thread-safe.
 */
public final class FrozenProcess implements AutoCloseable {
  private final long pid;
  private boolean frozen;

  private FrozenProcess(long pid) {
    this.pid = pid;
  }

  /**
   * The one descendant of this JVM whose command line contains {@code program} and {@code port}
   * (e.g. {@code redis-server} and its port); fails when there is none or more than one.
   */
  public static FrozenProcess find(String program, int port) {
    String p = Integer.toString(port);
    List<ProcessHandle> found =
        ProcessHandle.current()
            .descendants()
            .filter(
                h -> {
                  String line = commandLine(h);
                  return line.contains(program) && line.contains(p);
                })
            .toList();
    if (found.size() != 1) {
      throw new IllegalStateException(
          found.size()
              + " processes of this JVM run "
              + program
              + " with "
              + port
              + ": "
              + found
              + "; its descendants: "
              + ProcessHandle.current().descendants().map(FrozenProcess::commandLine).toList());
    }
    return new FrozenProcess(found.getFirst().pid());
  }

  /**
   * Linux's {@code /proc/<pid>/cmdline} as the process shows it (Redis rewrites it to {@code
   * redis-server 127.0.0.1:<port>}, which {@link ProcessHandle.Info} then cannot read), else what
   * {@link ProcessHandle.Info#commandLine()} says.
   */
  private static String commandLine(ProcessHandle h) {
    try {
      Path proc = Path.of("/proc", Long.toString(h.pid()), "cmdline");
      if (Files.isReadable(proc)) {
        return new String(Files.readAllBytes(proc)).replace('\0', ' ').trim();
      }
    } catch (IOException e) {
      // gone, or not Linux: what the JDK reads
    }
    return h.info().commandLine().orElse("");
  }

  public long pid() {
    return pid;
  }

  /** Sends {@code SIGSTOP} and waits (at most 5 s) until the process is stopped. */
  public void freeze() {
    signal("-STOP");
    frozen = true;
    awaitState(true);
  }

  /** Sends {@code SIGCONT} and waits (at most 5 s) until the process runs again. */
  public void thaw() {
    signal("-CONT");
    frozen = false;
    awaitState(false);
  }

  /** Thaws the process if this froze it. */
  @Override
  public void close() {
    if (frozen) {
      thaw();
    }
  }

  private void signal(String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", signal, Long.toString(pid)).redirectErrorStream(true).start();
      String out = new String(kill.getInputStream().readAllBytes());
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill " + signal + " " + pid + " failed: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("kill " + signal + " " + pid, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * Waits for Linux's {@code /proc/<pid>/stat} state {@code T} (stopped) or not; elsewhere no-op.
   */
  private void awaitState(boolean stopped) {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    if (!Files.exists(stat)) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      try {
        String s = Files.readString(stat);
        // pid (comm) state …: the state follows the last ')'
        char state = s.charAt(s.lastIndexOf(')') + 2);
        if ((state == 'T') == stopped) {
          return;
        }
        Thread.sleep(10);
      } catch (IOException e) {
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    throw new IllegalStateException(pid + (stopped ? " did not stop" : " did not continue"));
  }

  @Override
  public String toString() {
    return "FrozenProcess{pid=" + pid + (frozen ? ", frozen" : "") + "}";
  }
}
