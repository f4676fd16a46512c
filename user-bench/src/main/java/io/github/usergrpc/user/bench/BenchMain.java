package io.github.usergrpc.user.bench;

/** Placeholder entry point. */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) {
    System.out.println("user-bench");
  }
}
