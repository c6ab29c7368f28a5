package dev.uat.api;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * A JDBC driver for tests that counts what reaches the database: {@code jdbc:counting:h2:…} opens
 * {@code jdbc:h2:…} and counts, on every connection it opened, the commits that carry writes (an
 * explicit {@code commit()}, an auto-commit switched back on, or a write statement in auto-commit
 * mode: each one a chunk written to an H2 file with {@code WRITE_DELAY=0}), the statements run in
 * auto-commit mode that only read, and every statement. Thread-safe; the counts are global, so a
 * test resets them ({@link #reset}) right before what it measures.
 */
final class CountingDriver implements Driver {
  static final String PREFIX = "jdbc:counting:";

  static final AtomicInteger writeCommits = new AtomicInteger();
  static final AtomicInteger autoCommitReads = new AtomicInteger();
  static final AtomicInteger statements = new AtomicInteger();

  /** The SQL of the statements run in auto-commit mode that only read. */
  static final List<String> autoCommitReadSql = new CopyOnWriteArrayList<>();

  static {
    try {
      DriverManager.registerDriver(new CountingDriver());
    } catch (SQLException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** {@code url} (an H2 URL) seen through this driver. */
  static String counting(String url) {
    if (!url.startsWith("jdbc:")) {
      throw new IllegalArgumentException(url);
    }
    return PREFIX + url.substring("jdbc:".length());
  }

  static void reset() {
    writeCommits.set(0);
    autoCommitReads.set(0);
    statements.set(0);
    autoCommitReadSql.clear();
  }

  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    if (!acceptsURL(url)) {
      return null;
    }
    Connection real = DriverManager.getConnection("jdbc:" + url.substring(PREFIX.length()), info);
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            new Counted(real));
  }

  /** One connection's state: whether it is in a transaction that wrote. */
  private static final class Counted implements InvocationHandler {
    private final Connection real;
    private boolean dirty;

    Counted(Connection real) {
      this.real = real;
    }

    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      switch (m.getName()) {
        case "commit" -> {
          if (dirty) {
            writeCommits.incrementAndGet();
          }
          dirty = false;
        }
        case "rollback" -> {
          if (args == null || args.length == 0) {
            dirty = false;
          }
        }
        case "setAutoCommit" -> {
          if ((Boolean) args[0] && !real.getAutoCommit() && dirty) {
            writeCommits.incrementAndGet(); // JDBC: switching auto-commit on commits
          }
          if ((Boolean) args[0]) {
            dirty = false;
          }
        }
        default -> {}
      }
      Object result = call(real, m, args);
      if (result instanceof Statement s
          && (m.getName().equals("prepareStatement") || m.getName().equals("createStatement"))) {
        String sql = args != null && args.length > 0 && args[0] instanceof String q ? q : null;
        Class<?> type =
            m.getName().equals("prepareStatement")
                ? java.sql.PreparedStatement.class
                : Statement.class;
        return Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {type},
            (p, sm, sargs) -> {
              String text =
                  sql != null ? sql : sargs != null && sargs[0] instanceof String q ? q : null;
              if (sm.getName().startsWith("execute") && text != null) {
                executed(text);
              }
              return call(s, sm, sargs);
            });
      }
      return result;
    }

    private void executed(String sql) throws SQLException {
      statements.incrementAndGet();
      boolean read = sql.strip().toUpperCase(Locale.ROOT).startsWith("SELECT");
      if (real.getAutoCommit()) {
        (read ? autoCommitReads : writeCommits).incrementAndGet();
        if (read) {
          autoCommitReadSql.add(sql);
        }
      } else if (!read) {
        dirty = true;
      }
    }
  }

  private static Object call(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Override
  public boolean acceptsURL(String url) {
    return url != null && url.startsWith(PREFIX);
  }

  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
    return new DriverPropertyInfo[0];
  }

  @Override
  public int getMajorVersion() {
    return 1;
  }

  @Override
  public int getMinorVersion() {
    return 0;
  }

  @Override
  public boolean jdbcCompliant() {
    return false;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }
}
