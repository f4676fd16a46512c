package io.github.usergrpc.user.bench;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * The PostgreSQL server's WAL position, full-page images and checkpoint counters (all databases), read before
 * and after a measured run: how much WAL each call wrote, and whether a checkpoint ran meanwhile. After a
 * checkpoint starts, the first change to each page writes the whole page to the WAL again, so the same calls
 * write several times the WAL for a while, and every commit waits for more of it to be flushed.
 *
 * @param walBytes the WAL position in bytes ({@code pg_current_wal_lsn()}), exact
 * @param fullPageImages {@code pg_stat_wal.wal_fpi}: backends report it about once a second, so a difference
 *     over a few seconds is approximate
 * @param checkpointBuffers buffers written by checkpoints ({@code pg_stat_bgwriter.buffers_checkpoint})
 * @param checkpoints checkpoints started, timed or requested
 */
record WalCounters(long walBytes, long fullPageImages, long checkpointBuffers, long checkpoints) {

  /** Reads the counters through {@code psql} on {@code database} of the server at 127.0.0.1:5432. */
  static WalCounters read(String database) throws IOException, InterruptedException {
    String[] fields = LoadBench.psql(database, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0'), w.wal_fpi,"
        + " b.buffers_checkpoint, b.checkpoints_timed + b.checkpoints_req FROM pg_stat_wal w, pg_stat_bgwriter b")
        .trim().split("\\|");
    if (fields.length != 4) {
      throw new IOException("unexpected answer from psql: " + String.join("|", fields));
    }
    return new WalCounters(new BigDecimal(fields[0]).longValueExact(), Long.parseLong(fields[1]),
        Long.parseLong(fields[2]), Long.parseLong(fields[3]));
  }

  /** Returns the counters' growth since {@code before}. */
  WalCounters since(WalCounters before) {
    return new WalCounters(walBytes - before.walBytes, fullPageImages - before.fullPageImages,
        checkpointBuffers - before.checkpointBuffers, checkpoints - before.checkpoints);
  }

  /** A period's growth per call. */
  record PerCall(double walBytes, double fullPageImages, long checkpointBuffers, long checkpoints) {

    /** Describes it on one line. */
    String describe() {
      return String.format(Locale.ROOT, "WAL %.0f bytes per call, %.2f full-page images per call; checkpoints"
          + " started %d, buffers written by checkpoints %d", walBytes, fullPageImages, checkpoints,
          checkpointBuffers);
    }
  }

  /** Returns this growth per call, for {@code calls} calls made in the period. */
  PerCall perCall(double calls) {
    double divisor = Math.max(calls, 1);
    return new PerCall(walBytes / divisor, fullPageImages / divisor, checkpointBuffers, checkpoints);
  }
}
