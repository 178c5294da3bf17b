package dev.sluice.policy.kumo.time;

import dev.sluice.policy.ConfigException;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * The strftime specifiers of Rust's chrono that policies use: {@code %Y %C %y %m %b %h %B %d %e %j %H %k
 * %I %l %M %S %f %.f %.3f %.6f %.9f %3f %6f %9f %p %P %a %A %u %w %Z %z %:z %s %T %R %D %F %c %x %X %n %t %%}.
 * An unknown specifier is an error.
 */
final class Strftime {
    private Strftime() {}

    static String format(ZonedDateTime t, String pattern) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (++i >= pattern.length()) {
                throw new ConfigException("Time:format: the format ends with a lone '%'");
            }
            String spec = String.valueOf(pattern.charAt(i));
            if ((spec.equals(".") || spec.equals(":") || Character.isDigit(spec.charAt(0))) && i + 1 < pattern.length()) {
                int end = i + 1;
                while (end < pattern.length() && !Character.isLetter(pattern.charAt(end))) {
                    end++;
                }
                spec = pattern.substring(i, Math.min(end + 1, pattern.length()));
                i = Math.min(end, pattern.length() - 1);
            }
            out.append(one(t, spec));
        }
        return out.toString();
    }

    private static String one(ZonedDateTime t, String spec) {
        int nanos = t.getNano();
        return switch (spec) {
            case "Y" -> Integer.toString(t.getYear());
            case "C" -> two(t.getYear() / 100);
            case "y" -> two(t.getYear() % 100);
            case "m" -> two(t.getMonthValue());
            case "b", "h" -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ROOT);
            case "B" -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ROOT);
            case "d" -> two(t.getDayOfMonth());
            case "e" -> String.format(Locale.ROOT, "%2d", t.getDayOfMonth());
            case "j" -> String.format(Locale.ROOT, "%03d", t.getDayOfYear());
            case "H" -> two(t.getHour());
            case "k" -> String.format(Locale.ROOT, "%2d", t.getHour());
            case "I" -> two(hour12(t));
            case "l" -> String.format(Locale.ROOT, "%2d", hour12(t));
            case "M" -> two(t.getMinute());
            case "S" -> two(t.getSecond());
            case "f" -> String.format(Locale.ROOT, "%09d", nanos);
            case ".f" -> LuaTime.fraction(nanos);
            case ".3f" -> String.format(Locale.ROOT, ".%03d", nanos / 1_000_000);
            case ".6f" -> String.format(Locale.ROOT, ".%06d", nanos / 1_000);
            case ".9f" -> String.format(Locale.ROOT, ".%09d", nanos);
            case "3f" -> String.format(Locale.ROOT, "%03d", nanos / 1_000_000);
            case "6f" -> String.format(Locale.ROOT, "%06d", nanos / 1_000);
            case "9f" -> String.format(Locale.ROOT, "%09d", nanos);
            case "p" -> t.getHour() < 12 ? "AM" : "PM";
            case "P" -> t.getHour() < 12 ? "am" : "pm";
            case "a" -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ROOT);
            case "A" -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ROOT);
            case "u" -> Integer.toString(t.getDayOfWeek().getValue());
            case "w" -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case "Z" -> "UTC";
            case "z" -> "+0000";
            case ":z" -> "+00:00";
            case "s" -> Long.toString(t.toEpochSecond());
            case "T" -> format(t, "%H:%M:%S");
            case "R" -> format(t, "%H:%M");
            case "D", "x" -> format(t, "%m/%d/%y");
            case "F" -> format(t, "%Y-%m-%d");
            case "X" -> format(t, "%H:%M:%S");
            case "c" -> format(t, "%a %b %e %H:%M:%S %Y");
            case "n" -> "\n";
            case "t" -> "\t";
            case "%" -> "%";
            default -> throw new ConfigException("Time:format: unsupported specifier '%" + spec + "'");
        };
    }

    private static int hour12(ZonedDateTime t) {
        int h = t.getHour() % 12;
        return h == 0 ? 12 : h;
    }

    private static String two(int n) {
        return String.format(Locale.ROOT, "%02d", n);
    }

}
