package io.github.usergrpc.user.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Median and spread of a few runs. */
final class Stats {

  private Stats() {}

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static double min(List<Double> values) {
    return Collections.min(values);
  }

  static double max(List<Double> values) {
    return Collections.max(values);
  }

  /** Returns "median (min–max, n runs)" with the given format for each number. */
  static String spread(List<Double> values, String format) {
    return fmt(format, median(values)) + " (" + fmt(format, min(values)) + "–" + fmt(format, max(values))
        + ", n=" + values.size() + ")";
  }

  /** Returns a[i] / b[i] for every round both have: ratios of measurements taken side by side. */
  static List<Double> ratios(List<Double> a, List<Double> b) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      ratios.add(a.get(i) / b.get(i));
    }
    return ratios;
  }

  static String fmt(String format, double value) {
    return String.format(Locale.ROOT, format, value);
  }
}
