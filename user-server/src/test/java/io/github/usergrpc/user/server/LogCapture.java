package io.github.usergrpc.user.server;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Records what is logged through java.util.logging while open: everything this project logs, at every
 * level, and what libraries log at FINE and above, the most an operator turns on to troubleshoot (below it,
 * library traces print raw protocol: the PostgreSQL driver's FINEST trace prints every bind parameter).
 * Each record is kept as the default formatter prints it, with its parameters filled in and the stack trace
 * of its exception and of the exception's causes.
 */
final class LogCapture extends Handler implements AutoCloseable {

  private final Logger root = Logger.getLogger("");
  private final Logger project = Logger.getLogger("io.github.usergrpc");
  private final Level rootLevel = root.getLevel();
  private final Level projectLevel = project.getLevel();
  private final SimpleFormatter formatter = new SimpleFormatter();
  private final List<LogRecord> records = new ArrayList<>();

  LogCapture() {
    setLevel(Level.ALL);
    root.setLevel(Level.FINE);
    project.setLevel(Level.ALL);
    root.addHandler(this);
  }

  @Override
  public synchronized void publish(LogRecord record) {
    records.add(record);
  }

  /** Returns every record so far, formatted, one after the other. */
  synchronized String text() {
    StringBuilder text = new StringBuilder();
    records.forEach(record -> text.append(formatter.format(record)));
    return text.toString();
  }

  /** Returns every record so far. */
  synchronized List<LogRecord> records() {
    return List.copyOf(records);
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    root.removeHandler(this);
    root.setLevel(rootLevel);
    project.setLevel(projectLevel);
  }
}
