package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import java.util.List;

class AxisTest {
    @Test
    void linearAxisEndsAndTicksOnRoundNumbers() {
        Axis a = Axis.linear(0, 0.93);
        assertEquals(0.0, a.lo());
        assertEquals(1.0, a.hi(), 1e-12);
        assertEquals(List.of("0.0", "0.2", "0.4", "0.6", "0.8", "1.0"), a.ticks().stream().map(a::label).toList());
    }

    @Test
    void linearAxisOverStepsUsesWholeNumbers() {
        Axis a = Axis.linear(1, 3500);
        assertEquals(List.of("0", "500", "1000", "1500", "2000", "2500", "3000", "3500"), a.ticks().stream().map(a::label).toList());
    }

    @Test
    void negativeRangeLabelsHaveNoNegativeZero() {
        Axis a = Axis.linear(-0.23, 0.05);
        assertEquals(List.of("-0.25", "-0.20", "-0.15", "-0.10", "-0.05", "0.00", "0.05"),
                a.ticks().stream().map(a::label).toList());
    }

    @Test
    void logAxisTicksAtDecadesWithMinorTicksBetween() {
        Axis a = Axis.log(0.0093, 0.584);
        assertEquals(List.of("0.001", "0.01", "0.1", "1"), a.ticks().stream().map(a::label).toList());
        assertEquals(3 * 8, a.minorTicks().size());
        assertEquals(0.5, a.fraction(Math.sqrt(10) * 0.01), 1e-12);
    }

    @Test
    void logAxisOverManyDecadesThinsItsLabels() {
        Axis a = Axis.log(1e-9, 1e3);
        assertEquals(List.of("1e-9", "1e-7", "1e-5", "0.001", "0.1", "10", "1000"),
                a.ticks().stream().map(a::label).toList());
        assertEquals(0, a.minorTicks().size());
    }
}
