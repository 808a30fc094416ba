export declare const SOURCE_SCHEMA: string;
export declare const POSTGRES_SCHEMA: string;
export declare const POSTGRES_MIGRATIONS: string;
/** The PostgreSQL schema text for the given SQLite schema text; throws on what it does not handle. */
export declare function postgresSchema(sqliteText: string): string;
/** Writes prisma/postgres/schema.prisma under root from its source, when changed; returns its path. */
export declare function writePostgresSchema(root: string): string;
