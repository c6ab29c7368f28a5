package db.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Drops the UNIQUE constraint on {@code messages.id}, and with it an index that every chat's two
 * commits wrote a page of. Nothing reads a message by its id, and the api makes every id itself
 * ({@code Store.newTimeOrderedId}: 74 random bits under a millisecond), so the index only cost a
 * write: without it the chat path's throughput was 1.03x and its one-connection median 0.95x
 * (docs/benchmarks.md, issue 12). {@code NOT NULL} stays.
 *
 * <p>Java, not SQL, because the constraint was declared inline in V1 and so carries a name each
 * database made up ({@code messages_id_key} on PostgreSQL, {@code CONSTRAINT_…} on H2): it is
 * looked up in the information schema, which both databases have.
 */
public class V5__messages_id_not_unique extends BaseJavaMigration {
  private static final String FIND =
      "SELECT tc.constraint_name FROM information_schema.table_constraints tc"
          + " JOIN information_schema.key_column_usage k"
          + " ON k.constraint_schema = tc.constraint_schema"
          + " AND k.constraint_name = tc.constraint_name"
          + " WHERE tc.constraint_type = 'UNIQUE' AND LOWER(tc.table_name) = 'messages'"
          + " AND tc.table_schema = CURRENT_SCHEMA"
          + " GROUP BY tc.constraint_name"
          + " HAVING COUNT(*) = 1 AND MAX(LOWER(k.column_name)) = 'id'";

  @Override
  public void migrate(Context context) throws SQLException {
    Connection c = context.getConnection();
    List<String> names = new ArrayList<>();
    try (PreparedStatement find = c.prepareStatement(FIND);
        ResultSet rs = find.executeQuery()) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    try (Statement s = c.createStatement()) {
      for (String name : names) {
        s.execute("ALTER TABLE messages DROP CONSTRAINT \"" + name.replace("\"", "\"\"") + "\"");
      }
    }
  }
}
