package dev.qvgen.suites.toy;

/**
 * One prompt of a suite. {@code scene} holds the caption's attributes only (start positions
 * NaN): where objects start is the generator's choice; use {@link ToyWorld#placeScene} to
 * render a reference clip.
 */
public record ToyPrompt(int index, String caption, ToyScene scene) {
}
