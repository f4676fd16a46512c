package io.github.usergrpc.user.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SoakVerdictTest {

  private static final List<Integer> FLAT_FDS = List.of(40, 41, 40, 42, 40, 41);
  private static final List<Integer> FLAT_THREADS = List.of(30, 30, 31, 30, 30, 30);

  @Test
  void evaluate_flatRun_passes() {
    List<SoakVerdict.Check> checks = SoakVerdict.evaluate(0, List.of(20.0, 22.0, 19.5, 21.0, 20.5, 21.5),
        FLAT_FDS, FLAT_THREADS);

    assertThat(checks).allMatch(SoakVerdict.Check::passed);
    assertThat(SoakVerdict.passed(checks)).isTrue();
  }

  @Test
  void evaluate_oneError_fails() {
    List<SoakVerdict.Check> checks = SoakVerdict.evaluate(1, List.of(20.0, 20.0, 20.0), List.of(40, 40, 40),
        List.of(30, 30, 30));

    assertThat(SoakVerdict.passed(checks)).isFalse();
    assertThat(checks).filteredOn(c -> !c.passed()).extracting(SoakVerdict.Check::name).containsExactly("errors");
  }

  @Test
  void evaluate_heapGrowingPastTheSlack_fails() {
    // A store that keeps what it should drop: +1.5 MiB per sample, +9 MiB from the first third to the last.
    List<SoakVerdict.Check> checks = SoakVerdict.evaluate(0, List.of(20.0, 21.5, 23.0, 24.5, 26.0, 27.5, 29.0,
        30.5, 32.0), FLAT_FDS, FLAT_THREADS);

    assertThat(checks).filteredOn(c -> !c.passed()).extracting(SoakVerdict.Check::name)
        .containsExactly("heap growth");
    assertThat(checks.get(1).measured()).contains("21.5 → 30.5 MiB");
  }

  @Test
  void evaluate_heapGrowingWithinTenPercentOfALargeHeap_passes() {
    // 10 % of 100 MiB is more than the 5 MiB floor.
    List<SoakVerdict.Check> checks = SoakVerdict.evaluate(0, List.of(100.0, 100.0, 104.0, 108.0, 109.0, 109.0),
        FLAT_FDS, FLAT_THREADS);

    assertThat(SoakVerdict.passed(checks)).isTrue();
  }

  @Test
  void evaluate_oneHighSampleInTheLastThird_passes() {
    // Medians, so one sample taken while a burst of garbage survived does not decide.
    List<SoakVerdict.Check> checks = SoakVerdict.evaluate(0, List.of(20.0, 20.0, 20.0, 20.0, 20.0, 20.0, 20.0,
        20.0, 40.0), FLAT_FDS, FLAT_THREADS);

    assertThat(SoakVerdict.passed(checks)).isTrue();
  }

  @Test
  void evaluate_fileDescriptorLeak_fails() {
    List<SoakVerdict.Check> checks = SoakVerdict.evaluate(0, List.of(20.0, 20.0, 20.0, 20.0, 20.0, 20.0),
        List.of(40, 42, 44, 46, 48, 50), FLAT_THREADS);

    assertThat(checks).filteredOn(c -> !c.passed()).extracting(SoakVerdict.Check::name)
        .containsExactly("open file descriptors");
  }

  @Test
  void evaluate_threadsGrowing_fails() {
    List<SoakVerdict.Check> checks = SoakVerdict.evaluate(0, List.of(20.0, 20.0, 20.0, 20.0, 20.0, 20.0),
        FLAT_FDS, List.of(30, 31, 32, 33, 34, 35));

    assertThat(checks).filteredOn(c -> !c.passed()).extracting(SoakVerdict.Check::name)
        .containsExactly("threads");
  }

  @Test
  void evaluate_tooFewSamples_fails() {
    List<SoakVerdict.Check> checks = SoakVerdict.evaluate(0, List.of(20.0, 20.0), List.of(40, 40),
        List.of(30, 30));

    assertThat(checks).filteredOn(c -> !c.passed()).extracting(SoakVerdict.Check::name)
        .containsExactly("heap growth", "open file descriptors", "threads");
  }
}
