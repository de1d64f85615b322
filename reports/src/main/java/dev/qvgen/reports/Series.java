package dev.qvgen.reports;

import java.util.List;

/** A named curve (x, y) for a line chart, e.g. training loss vs step. */
public record Series(String name, List<double[]> points) {}
