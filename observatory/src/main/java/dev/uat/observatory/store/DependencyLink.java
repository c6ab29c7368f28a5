package dev.uat.observatory.store;

import static java.util.Objects.requireNonNull;

/**
 * Calls from one service to another: spans of {@code child} whose parent span belongs to {@code
 * parent}, within one trace.
 *
 * @param errorCount how many of those child spans had status ERROR
 */
public record DependencyLink(String parent, String child, long callCount, long errorCount) {
  public DependencyLink {
    requireNonNull(parent, "parent");
    requireNonNull(child, "child");
  }
}
