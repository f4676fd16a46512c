package io.github.usergrpc.user.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Probes this test's own JVM, which jcmd attaches to like any other. */
class ProcessProbeTest {

  private static final long SELF = ProcessHandle.current().pid();

  @Test
  void heapAfterGcMiB_runningJvm_readsTheGenerations() throws Exception {
    assertThat(ProcessProbe.heapAfterGcMiB(SELF, 1)).isPositive()
        .isLessThan(Runtime.getRuntime().maxMemory() / 1024.0 / 1024.0);
  }

  @Test
  void liveObjects_runningJvm_totalIsTheSumOfTheClasses() throws Exception {
    ProcessProbe.LiveObjects live = ProcessProbe.liveObjects(SELF);

    assertThat(live.byClass()).containsKey("java.lang.String");
    assertThat(live.bytes()).isEqualTo(live.byClass().values().stream().mapToLong(ProcessProbe.ClassCount::bytes)
        .sum());
  }

  @Test
  void procFigures_runningJvm_arePositive() throws Exception {
    assertThat(ProcessProbe.openFileDescriptors(SELF)).isPositive();
    assertThat(ProcessProbe.threads(SELF)).isGreaterThanOrEqualTo(Thread.activeCount());
    assertThat(ProcessProbe.residentMiB(SELF)).isPositive();
  }
}
