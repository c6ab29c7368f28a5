/**
 * The api's Flyway migrations written in Java, beside the SQL ones in {@code db/migration}: only
 * where H2 and PostgreSQL need different statements. Flyway finds them by this package's name.
 */
package db.migration;
