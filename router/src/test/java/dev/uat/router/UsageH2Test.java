package dev.uat.router;

/** The usage suite on the default: an H2 file database in the data directory. */
class UsageH2Test extends AbstractUsageTest {
  @Override
  RouterSettings database(RouterSettings settings) {
    return settings;
  }
}
