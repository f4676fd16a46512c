package io.github.usergrpc.user.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;

/**
 * Draws latency-by-percentile curves (the HdrHistogram plot: the x axis spreads 90, 99, 99.9 ... evenly) as
 * a PNG with Java2D, headless, without anything from the network.
 */
final class LatencyChart {

  private static final Color[] COLORS = {
      new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
      new Color(0x9467bd), new Color(0x8c564b)};
  private static final double[] TICKS = {0, 90, 99, 99.9, 99.99};
  private static final double MAX_PERCENTILE = 99.99;

  private LatencyChart() {}

  /** A curve: latencies in milliseconds at the percentiles {@link #percentiles()}. */
  record Series(String label, List<Double> millis) {}

  static double[] percentiles() {
    double[] points = new double[81];
    for (int i = 0; i < points.length; i++) {
      // 0 .. 4 "nines" in steps of 0.05 nine.
      points[i] = 100 * (1 - Math.pow(10, -i / 20.0));
    }
    points[points.length - 1] = MAX_PERCENTILE;
    return points;
  }

  static Series series(String label, Histogram nanos) {
    double[] points = percentiles();
    List<Double> millis = new ArrayList<>(points.length);
    for (double point : points) {
      millis.add(nanos.getValueAtPercentile(point) / 1e6);
    }
    return new Series(label, List.copyOf(millis));
  }

  private static double x(double percentile) {
    return Math.log10(1 / (1 - Math.min(percentile, MAX_PERCENTILE) / 100)) / 4;
  }

  static void render(String title, String subtitle, List<Series> series, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    int width = 1000;
    int height = 560;
    int left = 80;
    int right = 30;
    int top = 86;
    int bottom = 70;
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    double maxMillis = 0;
    for (Series s : series) {
      for (double v : s.millis()) {
        maxMillis = Math.max(maxMillis, v);
      }
    }
    double yMax = niceCeiling(maxMillis);
    int plotWidth = width - left - right;
    int plotHeight = height - top - bottom;
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    g.setColor(Color.BLACK);
    g.drawString(title, left, 30);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.setColor(Color.DARK_GRAY);
    // Wrap the subtitle at the plot's width, on at most two lines.
    FontMetrics subtitleMetrics = g.getFontMetrics();
    StringBuilder line = new StringBuilder();
    int lineY = 50;
    for (String word : subtitle.split(" ", -1)) {
      if (line.length() > 0 && subtitleMetrics.stringWidth(line + " " + word) > width - left - right) {
        g.drawString(line.toString(), left, lineY);
        line.setLength(0);
        lineY += 16;
      }
      line.append(line.length() > 0 ? " " : "").append(word);
    }
    g.drawString(line.toString(), left, lineY);
    // Grid and axes.
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics metrics = g.getFontMetrics();
    for (int i = 0; i <= 5; i++) {
      double value = yMax * i / 5;
      int y = top + plotHeight - (int) Math.round(plotHeight * i / 5.0);
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(left, y, left + plotWidth, y);
      g.setColor(Color.DARK_GRAY);
      String label = String.format(Locale.ROOT, yMax >= 10 ? "%.0f" : "%.2f", value);
      g.drawString(label, left - 8 - metrics.stringWidth(label), y + 4);
    }
    for (double tick : TICKS) {
      int x = left + (int) Math.round(plotWidth * x(tick));
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(x, top, x, top + plotHeight);
      g.setColor(Color.DARK_GRAY);
      String label = (tick == 0 ? "0" : String.format(Locale.ROOT, "%s", trim(tick))) + "%";
      g.drawString(label, x - metrics.stringWidth(label) / 2, top + plotHeight + 18);
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, plotWidth, plotHeight);
    g.drawString("percentile", left + plotWidth / 2 - metrics.stringWidth("percentile") / 2, height - 22);
    Graphics2D rotated = (Graphics2D) g.create();
    rotated.rotate(-Math.PI / 2);
    rotated.drawString("latency (ms)", -(top + plotHeight / 2) - 35, 20);
    rotated.dispose();
    // Curves and legend.
    double[] points = percentiles();
    g.setStroke(new BasicStroke(2.2f));
    int legendY = top + 18;
    for (int s = 0; s < series.size(); s++) {
      Series curve = series.get(s);
      g.setColor(COLORS[s % COLORS.length]);
      int previousX = -1;
      int previousY = -1;
      for (int i = 0; i < points.length; i++) {
        int x = left + (int) Math.round(plotWidth * x(points[i]));
        int y = top + plotHeight - (int) Math.round(plotHeight * Math.min(curve.millis().get(i) / yMax, 1));
        if (previousX >= 0) {
          g.drawLine(previousX, previousY, x, y);
        }
        previousX = x;
        previousY = y;
      }
      g.fillRect(left + 14, legendY - 9, 22, 4);
      g.setColor(Color.BLACK);
      g.drawString(curve.label(), left + 44, legendY - 3);
      legendY += 20;
    }
    g.dispose();
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(image, "png", png.toFile());
  }

  private static String trim(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  private static double niceCeiling(double value) {
    if (value <= 0) {
      return 1;
    }
    double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * magnitude >= value) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  /** Keeps the series in insertion order. */
  static Map<String, Histogram> ordered() {
    return new LinkedHashMap<>();
  }
}
