package dev.sluice.policy.kumo.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Glob expansion as KumoMTA's filenamegen does it: {@code *} and {@code ?} within one path component,
 * {@code **} across components, {@code [abc]}, {@code {a,b}}. A relative pattern is walked from
 * {@code relativeTo} (default {@code .}) and its results are relative to it; an absolute pattern
 * gives absolute results. {@code dir/**}{@code /x} also matches {@code dir/x} (zero directories), as in
 * filenamegen. Missing or unreadable directories are skipped silently. Results sorted.
 */
public final class Glob {
    private Glob() {}

    public static List<String> expand(String pattern, String relativeTo) throws IOException {
        boolean absolute = pattern.startsWith("/");
        Path base = absolute ? Path.of("/") : Path.of(relativeTo == null ? "." : relativeTo);
        String[] parts = pattern.replaceAll("^/+", "").split("/+");
        // Walk from the longest literal prefix of the pattern.
        Path start = base;
        int literal = 0;
        while (literal < parts.length - 1 && !isGlob(parts[literal])) {
            start = start.resolve(parts[literal]);
            literal++;
        }
        boolean deep = false;
        for (int i = literal; i < parts.length; i++) {
            deep |= parts[i].contains("**");
        }
        int depth = deep ? Integer.MAX_VALUE : parts.length - literal;
        String joined = String.join("/", parts);
        PathMatcher deepMatcher = FileSystems.getDefault().getPathMatcher("glob:" + joined);
        // Java's "a/**/b" needs at least one directory between a and b; filenamegen's does not
        PathMatcher flatMatcher = joined.contains("**/")
                ? FileSystems.getDefault().getPathMatcher("glob:" + joined.replace("**/", "")) : deepMatcher;
        PathMatcher matcher = p -> deepMatcher.matches(p) || flatMatcher.matches(p);
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<String> results = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(start, depth, FileVisitOption.FOLLOW_LINKS)) {
            walk.forEach(p -> {
                Path rel = base.relativize(p);
                if (!rel.toString().isEmpty() && matcher.matches(rel)) {
                    results.add(absolute ? "/" + rel : rel.toString());
                }
            });
        } catch (UncheckedIOException e) {
            // an unreadable directory below start: KumoMTA leaves it out without an error
        }
        results.sort(null);
        return results;
    }

    private static boolean isGlob(String part) {
        for (char c : part.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == '{') {
                return true;
            }
        }
        return false;
    }
}
