//! The PostgreSQL COPY peer of the ingest benchmark: the fastest plain way to put the same
//! readings into PostgreSQL (one row per reading, no rules, no compression), measured on the same
//! machine as anwei's own ingest. Used only by the benchmark.

use sqlx::postgres::{PgPool, PgPoolCopyExt, PgPoolOptions};

use crate::Result;

pub struct PostgresCopyPeer {
    pool: PgPool,
}

impl PostgresCopyPeer {
    /// Connects and creates an empty `bench_readings` table (dropping an earlier one).
    pub async fn connect(url: &str, connections: u32) -> Result<Self> {
        let pool = PgPoolOptions::new().max_connections(connections.max(1)).connect(url).await?;
        sqlx::query("DROP TABLE IF EXISTS bench_readings").execute(&pool).await?;
        sqlx::query("CREATE TABLE bench_readings (sensor TEXT NOT NULL, ts BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL)").execute(&pool).await?;
        Ok(Self { pool })
    }

    /// Copies tab-separated lines `SENSOR\tTS\tVALUE\n` in one COPY; returns the rows copied.
    pub async fn copy(&self, tab_separated: &[u8]) -> Result<u64> {
        let mut copy = self.pool.copy_in_raw("COPY bench_readings (sensor, ts, value) FROM STDIN").await?;
        copy.send(tab_separated).await?;
        Ok(copy.finish().await?)
    }

    /// Bytes the table takes on disk, indexes and TOAST included.
    pub async fn table_bytes(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT pg_total_relation_size('bench_readings')").fetch_one(&self.pool).await?)
    }

    pub async fn drop_table(&self) -> Result<()> {
        sqlx::query("DROP TABLE IF EXISTS bench_readings").execute(&self.pool).await?;
        Ok(())
    }
}
