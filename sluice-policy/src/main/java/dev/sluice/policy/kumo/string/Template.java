package dev.sluice.policy.kumo.string;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The part of minijinja's template language that {@code kumo.string.eval_template} supports (KumoMTA evaluates
 * templates with minijinja; Sluice has its own evaluator of this subset):
 * <ul>
 * <li>{@code {{ expr }}}, {@code {% if %}/{% elif %}/{% else %}/{% endif %}}, {@code {% for x in xs %}} (also
 *     {@code for k, v in map|items}, {@code {% else %}} for an empty loop, {@code loop.index/index0/first/last/length}),
 *     {@code {% set x = expr %}}, {@code {# comments #}}, {@code {%- -%}}/{@code {{- -}}} whitespace control; a single
 *     trailing newline of the template is dropped, as minijinja does;</li>
 * <li>expressions: string, number, {@code true/false/none} and list literals, variables, {@code a.b}, {@code a[b]},
 *     {@code not and or}, {@code == != < > <= >= in not-in}, {@code + - * / // %}, {@code ~} (concatenation),
 *     {@code x if c else y}, tests {@code is defined/undefined/none/number/string/mapping/sequence/odd/even}
 *     (with {@code is not});</li>
 * <li>filters: {@code upper lower title capitalize trim length count default(d) d join(sep) replace(a, b) first
 *     last items dictsort list sort reverse string int float abs round(n) tojson escape e safe select(test)
 *     reject(test) pluralize(s, p) filesizeformat(binary) normalize_smtp_response}.</li>
 * </ul>
 * Undefined variables print as nothing (minijinja's lenient default). Autoescaping follows the template name as in
 * minijinja: {@code .html .htm .xml} escape HTML, {@code .json .json5 .js .yaml .yml} print values as JSON; a
 * {@code |safe} value is printed as is. Errors name the template and line.
 */
final class Template {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The undefined value (missing variable, attribute or item). */
    private enum Undefined { UNDEFINED }

    /** A value marked safe: never escaped. */
    private record Safe(String text) {}

    private enum Escape { NONE, HTML, JSON }

    private final String name;
    private final String source;
    private final Escape escape;
    private int pos;
    private int line = 1;

    private Template(String name, String source) {
        this.name = name;
        this.source = source;
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".html") || lower.endsWith(".htm") || lower.endsWith(".xml")) {
            escape = Escape.HTML;
        } else if (lower.endsWith(".json") || lower.endsWith(".json5") || lower.endsWith(".js")
                || lower.endsWith(".yaml") || lower.endsWith(".yml")) {
            escape = Escape.JSON;
        } else {
            escape = Escape.NONE;
        }
    }

    /** Renders {@code source} with the variables of {@code context}. */
    static String render(String name, String source, Map<String, Object> context) {
        Template t = new Template(name, source.endsWith("\n") ? source.substring(0, source.length() - 1) : source);
        List<Node> nodes = t.parseBody(List.of());
        StringBuilder out = new StringBuilder();
        t.run(nodes, new Scope(null, new LinkedHashMap<>(context)), out);
        return out.toString();
    }

    // ---- template structure ----

    private sealed interface Node permits Text, Output, If, For, SetVar {}

    private record Text(String text) implements Node {}

    private record Output(Expr expr, int line) implements Node {}

    private record Branch(Expr condition, List<Node> body) {}

    private record If(List<Branch> branches, List<Node> otherwise) implements Node {}

    private record For(List<String> names, Expr items, List<Node> body, List<Node> otherwise, int line) implements Node {}

    private record SetVar(String name, Expr value) implements Node {}

    /** A statement tag: its words and where it ends. */
    private record Tag(String keyword, String rest, int line) {}

    private Tag pendingTag;

    /** Whether the next text starts with its whitespace removed (the tag before it ended with {@code -}). */
    private boolean trimNextText;

    /** Parses nodes until one of {@code enders} (a statement keyword) or the end; leaves that tag in pendingTag. */
    private List<Node> parseBody(List<String> enders) {
        List<Node> nodes = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (pos < source.length()) {
            int open = source.indexOf('{', pos);
            while (open >= 0 && open + 1 < source.length() && "{%#".indexOf(source.charAt(open + 1)) < 0) {
                open = source.indexOf('{', open + 1);
            }
            if (open < 0 || open + 1 >= source.length()) {
                appendText(text, source.substring(pos));
                pos = source.length();
                break;
            }
            appendText(text, source.substring(pos, open));
            char kind = source.charAt(open + 1);
            String closer = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int start = open + 2;
            if (start < source.length() && source.charAt(start) == '-') {
                start++;
                stripTrailing(text);
            }
            int close = source.indexOf(closer, start);
            if (close < 0) {
                throw error(line, "unexpected end of template: '" + source.substring(open, open + 2) + "' is never closed");
            }
            int end = close;
            if (end > start && source.charAt(end - 1) == '-') {
                trimNextText = true;
                end--;
            }
            String inner = source.substring(start, end);
            int tagLine = line;
            count(source.substring(open, close + 2));
            pos = close + 2;
            if (kind == '#') {
                continue;
            }
            if (!text.isEmpty()) {
                nodes.add(new Text(text.toString()));
                text.setLength(0);
            }
            if (kind == '{') {
                nodes.add(new Output(new ExprParser(inner, tagLine).parseAll(), tagLine));
                continue;
            }
            String stmt = inner.strip();
            int space = firstSpace(stmt);
            String keyword = space < 0 ? stmt : stmt.substring(0, space);
            String rest = space < 0 ? "" : stmt.substring(space).strip();
            if (enders.contains(keyword)) {
                pendingTag = new Tag(keyword, rest, tagLine);
                return nodes;
            }
            nodes.add(statement(keyword, rest, tagLine));
        }
        if (!text.isEmpty()) {
            nodes.add(new Text(text.toString()));
        }
        if (!enders.isEmpty()) {
            throw error(line, "unexpected end of template: expected {% " + enders.getLast() + " %}");
        }
        return nodes;
    }

    private void appendText(StringBuilder text, String chunk) {
        count(chunk);
        text.append(trimNextText ? stripLeading(chunk) : chunk);
        trimNextText = false;
    }

    private static int firstSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private Node statement(String keyword, String rest, int tagLine) {
        switch (keyword) {
            case "if" -> {
                List<Branch> branches = new ArrayList<>();
                Expr condition = new ExprParser(rest, tagLine).parseAll();
                List<Node> otherwise = List.of();
                while (true) {
                    List<Node> body = parseBody(List.of("elif", "else", "endif"));
                    branches.add(new Branch(condition, body));
                    Tag tag = takeTag();
                    if (tag.keyword().equals("elif")) {
                        condition = new ExprParser(tag.rest(), tag.line()).parseAll();
                    } else if (tag.keyword().equals("else")) {
                            otherwise = parseBody(List.of("endif"));
                        takeTag();
                        break;
                    } else {
                        break;
                    }
                }
                return new If(branches, otherwise);
            }
            case "for" -> {
                int in = rest.indexOf(" in ");
                if (in < 0) {
                    throw error(tagLine, "syntax error: expected 'for NAME in EXPR'");
                }
                List<String> names = new ArrayList<>();
                for (String n : rest.substring(0, in).split(",")) {
                    String v = n.strip();
                    if (!v.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                        throw error(tagLine, "syntax error: invalid loop variable '" + v + "'");
                    }
                    names.add(v);
                }
                Expr items = new ExprParser(rest.substring(in + 4), tagLine).parseAll();
                List<Node> body = parseBody(List.of("else", "endfor"));
                List<Node> otherwise = List.of();
                if (takeTag().keyword().equals("else")) {
                    otherwise = parseBody(List.of("endfor"));
                    takeTag();
                }
                return new For(names, items, body, otherwise, tagLine);
            }
            case "set" -> {
                int eq = rest.indexOf('=');
                String var = eq < 0 ? "" : rest.substring(0, eq).strip();
                if (!var.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw error(tagLine, "syntax error: expected 'set NAME = EXPR'");
                }
                return new SetVar(var, new ExprParser(rest.substring(eq + 1), tagLine).parseAll());
            }
            default -> throw error(tagLine, "unknown statement '" + keyword + "' (Sluice supports if, for and set)");
        }
    }

    private Tag takeTag() {
        Tag tag = pendingTag;
        pendingTag = null;
        return tag;
    }

    private void count(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                line++;
            }
        }
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    private static void stripTrailing(StringBuilder sb) {
        int n = sb.length();
        while (n > 0 && Character.isWhitespace(sb.charAt(n - 1))) {
            n--;
        }
        sb.setLength(n);
    }

    private ConfigException error(int at, String message) {
        return new ConfigException("template " + name + " line " + at + ": " + message);
    }

    // ---- evaluation ----

    private static final class Scope {
        final Scope parent;
        final Map<String, Object> vars;

        Scope(Scope parent, Map<String, Object> vars) {
            this.parent = parent;
            this.vars = vars;
        }

        Object get(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) {
                    return s.vars.get(name);
                }
            }
            return Undefined.UNDEFINED;
        }
    }

    private void run(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node node : nodes) {
            switch (node) {
                case Text t -> out.append(t.text());
                case Output o -> out.append(print(o.expr().eval(this, scope, o.line())));
                case If i -> {
                    boolean done = false;
                    for (Branch b : i.branches()) {
                        if (truthy(b.condition().eval(this, scope, 0))) {
                            run(b.body(), scope, out);
                            done = true;
                            break;
                        }
                    }
                    if (!done) {
                        run(i.otherwise(), scope, out);
                    }
                }
                case For f -> loop(f, scope, out);
                case SetVar s -> scope.vars.put(s.name(), s.value().eval(this, scope, 0));
            }
        }
    }

    private void loop(For f, Scope scope, StringBuilder out) {
        Object items = f.items().eval(this, scope, f.line());
        List<Object> list = iterate(items, f.line());
        if (list.isEmpty()) {
            run(f.otherwise(), scope, out);
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            Map<String, Object> vars = new LinkedHashMap<>();
            Object item = list.get(i);
            if (f.names().size() == 1) {
                vars.put(f.names().getFirst(), item);
            } else {
                List<Object> parts = item instanceof List<?> l ? new ArrayList<>(l) : List.of();
                if (parts.size() != f.names().size()) {
                    throw error(f.line(), "cannot unpack " + typeName(item) + " into " + f.names().size() + " variables");
                }
                for (int k = 0; k < parts.size(); k++) {
                    vars.put(f.names().get(k), parts.get(k));
                }
            }
            Map<String, Object> loop = new LinkedHashMap<>();
            loop.put("index", (long) i + 1);
            loop.put("index0", (long) i);
            loop.put("first", i == 0);
            loop.put("last", i == list.size() - 1);
            loop.put("length", (long) list.size());
            loop.put("revindex", (long) (list.size() - i));
            loop.put("revindex0", (long) (list.size() - i - 1));
            vars.put("loop", loop);
            run(f.body(), new Scope(scope, vars), out);
        }
    }

    private List<Object> iterate(Object value, int at) {
        return switch (value) {
            case Undefined u -> List.of();
            case null -> List.of();
            case List<?> l -> new ArrayList<>(l);
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case String s -> s.codePoints().mapToObj(c -> (Object) new String(Character.toChars(c))).toList();
            default -> throw error(at, typeName(value) + " is not iterable");
        };
    }

    private String print(Object value) {
        if (value instanceof Safe s) {
            return s.text();
        }
        return switch (escape) {
            case NONE -> display(value);
            case HTML -> html(display(value));
            case JSON -> value == Undefined.UNDEFINED ? "" : json(value);
        };
    }

    static String html(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#x27;");
                case '/' -> sb.append("&#x2f;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(plain(value));
        } catch (JsonProcessingException e) {
            throw new ConfigException("template: cannot encode " + typeName(value) + " as JSON: " + e.getOriginalMessage());
        }
    }

    private static Object plain(Object value) {
        return switch (value) {
            case Undefined u -> null;
            case Safe s -> s.text();
            case LuaBytes b -> b.lossyText();
            case LuaObject o -> o.toData() != null ? plain(o.toData()) : o.display();
            case Map<?, ?> m -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                m.forEach((k, v) -> copy.put(String.valueOf(k), plain(v)));
                yield copy;
            }
            case List<?> l -> l.stream().map(Template::plain).toList();
            default -> value;
        };
    }

    /** How minijinja prints a value. */
    static String display(Object value) {
        return switch (value) {
            case Undefined u -> "";
            case null -> "none";
            case Safe s -> s.text();
            case String s -> s;
            case LuaBytes b -> b.lossyText();
            case Double d when d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 1e16 -> BigDecimal.valueOf(d)
                    .setScale(1, java.math.RoundingMode.UNNECESSARY).toPlainString();
            case Double d -> Double.toString(d);
            case List<?> l -> {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < l.size(); i++) {
                    sb.append(i == 0 ? "" : ", ").append(repr(l.get(i)));
                }
                yield sb.append(']').toString();
            }
            case Map<?, ?> m -> {
                StringBuilder sb = new StringBuilder("{");
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                    first = false;
                }
                yield sb.append('}').toString();
            }
            case LuaObject o -> o.display();
            default -> String.valueOf(value);
        };
    }

    private static String repr(Object value) {
        return value instanceof String s ? json(s) : display(value);
    }

    static boolean truthy(Object value) {
        return switch (value) {
            case Undefined u -> false;
            case null -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0;
            case String s -> !s.isEmpty();
            case Safe s -> !s.text().isEmpty();
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> true;
        };
    }

    static String typeName(Object value) {
        return switch (value) {
            case Undefined u -> "undefined";
            case null -> "none";
            case Boolean b -> "bool";
            case Long l -> "number";
            case Double d -> "number";
            case String s -> "string";
            case Safe s -> "string";
            case List<?> l -> "sequence";
            case Map<?, ?> m -> "map";
            case LuaObject o -> o.typeName();
            default -> value.getClass().getSimpleName();
        };
    }

    // ---- expressions ----

    private sealed interface Expr permits Literal, Var, Attr, Item, ListLit, MapLit, Call, Unary, Binary, Cond, IsTest {
        Object eval(Template t, Scope scope, int line);
    }

    private record Literal(Object value) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            return value;
        }
    }

    private record Var(String name) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            return scope.get(name);
        }
    }

    private record Attr(Expr target, String name) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            return t.attribute(target.eval(t, scope, line), name, line);
        }
    }

    private record Item(Expr target, Expr key) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            Object k = key.eval(t, scope, line);
            Object target = this.target.eval(t, scope, line);
            if (target instanceof List<?> l && k instanceof Long i) {
                long idx = i < 0 ? l.size() + i : i;
                return idx >= 0 && idx < l.size() ? l.get((int) idx) : Undefined.UNDEFINED;
            }
            return t.attribute(target, k instanceof Long l ? String.valueOf(l) : display(k), line);
        }
    }

    private record ListLit(List<Expr> items) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            List<Object> out = new ArrayList<>();
            items.forEach(e -> out.add(e.eval(t, scope, line)));
            return out;
        }
    }

    private record MapLit(List<Expr> keys, List<Expr> values) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                out.put(display(keys.get(i).eval(t, scope, line)), values.get(i).eval(t, scope, line));
            }
            return out;
        }
    }

    /** A filter applied to {@code input}. */
    private record Call(Expr input, String filter, List<Expr> args) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            Object in = input.eval(t, scope, line);
            List<Object> values = new ArrayList<>();
            args.forEach(a -> values.add(a.eval(t, scope, line)));
            return t.filter(filter, in, values, line);
        }
    }

    private record Unary(String op, Expr operand) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            Object v = operand.eval(t, scope, line);
            if (op.equals("not")) {
                return !truthy(v);
            }
            return switch (v) {
                case Long l -> -l;
                case Double d -> -d;
                default -> throw t.error(line, "cannot negate " + typeName(v));
            };
        }
    }

    private record Binary(String op, Expr left, Expr right) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            if (op.equals("and")) {
                Object l = left.eval(t, scope, line);
                return truthy(l) ? right.eval(t, scope, line) : l;
            }
            if (op.equals("or")) {
                Object l = left.eval(t, scope, line);
                return truthy(l) ? l : right.eval(t, scope, line);
            }
            return t.binary(op, left.eval(t, scope, line), right.eval(t, scope, line), line);
        }
    }

    private record Cond(Expr value, Expr condition, Expr otherwise) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            return truthy(condition.eval(t, scope, line)) ? value.eval(t, scope, line)
                    : otherwise == null ? Undefined.UNDEFINED : otherwise.eval(t, scope, line);
        }
    }

    private record IsTest(Expr value, String test, boolean negated) implements Expr {
        public Object eval(Template t, Scope scope, int line) {
            return negated != t.test(test, value.eval(t, scope, line), line);
        }
    }

    private Object attribute(Object target, String key, int at) {
        try {
            return switch (target) {
                case Map<?, ?> m -> m.containsKey(key) ? m.get(key) : Undefined.UNDEFINED;
                case LuaObject o -> {
                    Object v = o.index(key);
                    yield v == null ? Undefined.UNDEFINED : v;
                }
                case Undefined u -> Undefined.UNDEFINED;
                case null, default -> Undefined.UNDEFINED;
            };
        } catch (Exception e) {
            throw error(at, e.getMessage());
        }
    }

    private boolean test(String test, Object v, int at) {
        return switch (test) {
            case "defined" -> v != Undefined.UNDEFINED;
            case "undefined" -> v == Undefined.UNDEFINED;
            case "none" -> v == null;
            case "number" -> v instanceof Long || v instanceof Double;
            case "string" -> v instanceof String || v instanceof Safe;
            case "mapping" -> v instanceof Map<?, ?>;
            case "sequence" -> v instanceof List<?>;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "odd" -> v instanceof Long l && l % 2 != 0;
            case "even" -> v instanceof Long l && l % 2 == 0;
            default -> throw error(at, "unknown test '" + test + "'");
        };
    }

    private Object binary(String op, Object l, Object r, int at) {
        switch (op) {
            case "==" -> {
                return same(l, r);
            }
            case "!=" -> {
                return !same(l, r);
            }
            case "~" -> {
                return display(l) + display(r);
            }
            case "in", "not in" -> {
                boolean in = switch (r) {
                    case String s -> s.contains(display(l));
                    case List<?> list -> list.stream().anyMatch(x -> same(x, l));
                    case Map<?, ?> m -> m.containsKey(display(l));
                    default -> false;
                };
                return op.equals("in") == in;
            }
            case "<", ">", "<=", ">=" -> {
                int c = compare(l, r, at);
                return switch (op) {
                    case "<" -> c < 0;
                    case ">" -> c > 0;
                    case "<=" -> c <= 0;
                    default -> c >= 0;
                };
            }
            default -> {
                return arithmetic(op, l, r, at);
            }
        }
    }

    private Object arithmetic(String op, Object l, Object r, int at) {
        if (op.equals("+") && l instanceof String a && r instanceof String b) {
            return a + b;
        }
        if (op.equals("+") && l instanceof List<?> a && r instanceof List<?> b) {
            List<Object> out = new ArrayList<>(a);
            out.addAll(b);
            return out;
        }
        if (!(l instanceof Long || l instanceof Double) || !(r instanceof Long || r instanceof Double)) {
            throw error(at, "unsupported operand types for " + op + ": " + typeName(l) + " and " + typeName(r));
        }
        if (l instanceof Long a && r instanceof Long b && !op.equals("/")) {
            if ((op.equals("//") || op.equals("%")) && b == 0) {
                throw error(at, "division by zero");
            }
            return switch (op) {
                case "+" -> a + b;
                case "-" -> a - b;
                case "*" -> a * b;
                case "//" -> Math.floorDiv(a, b);
                default -> Math.floorMod(a, b);
            };
        }
        double a = ((Number) l).doubleValue();
        double b = ((Number) r).doubleValue();
        return switch (op) {
            case "+" -> a + b;
            case "-" -> a - b;
            case "*" -> a * b;
            case "/" -> a / b;
            case "//" -> Math.floor(a / b);
            default -> a - b * Math.floor(a / b);
        };
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        if (a instanceof Safe s) {
            a = s.text();
        }
        if (b instanceof Safe s) {
            b = s.text();
        }
        return java.util.Objects.equals(a == Undefined.UNDEFINED ? null : a, b == Undefined.UNDEFINED ? null : b)
                && (a == Undefined.UNDEFINED) == (b == Undefined.UNDEFINED);
    }

    private int compare(Object a, Object b, int at) {
        if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        if (a instanceof String x && b instanceof String y) {
            return x.compareTo(y);
        }
        throw error(at, "cannot compare " + typeName(a) + " and " + typeName(b));
    }

    private static final Comparator<Object> ORDER = (a, b) -> {
        if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        return display(a).compareTo(display(b));
    };

    private Object filter(String name, Object in, List<Object> args, int at) {
        Object arg0 = args.isEmpty() ? null : args.getFirst();
        return switch (name) {
            case "upper" -> display(in).toUpperCase(Locale.ROOT);
            case "lower" -> display(in).toLowerCase(Locale.ROOT);
            case "title" -> title(display(in));
            case "capitalize" -> {
                String s = display(in).toLowerCase(Locale.ROOT);
                yield s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
            }
            case "trim" -> display(in).strip();
            case "length", "count" -> (long) switch (in) {
                case String s -> s.codePointCount(0, s.length());
                case List<?> l -> l.size();
                case Map<?, ?> m -> m.size();
                default -> throw error(at, "cannot take the length of " + typeName(in));
            };
            case "default", "d" -> in == Undefined.UNDEFINED || (args.size() > 1 && truthy(args.get(1)) && !truthy(in))
                    ? (args.isEmpty() ? "" : arg0) : in;
            case "join" -> {
                String sep = args.isEmpty() ? "" : display(arg0);
                StringBuilder sb = new StringBuilder();
                List<Object> items = iterate(in, at);
                for (int i = 0; i < items.size(); i++) {
                    sb.append(i == 0 ? "" : sep).append(display(items.get(i)));
                }
                yield sb.toString();
            }
            case "replace" -> {
                if (args.size() < 2) {
                    throw error(at, "replace needs two arguments");
                }
                yield display(in).replace(display(args.get(0)), display(args.get(1)));
            }
            case "first" -> {
                List<Object> items = iterate(in, at);
                yield items.isEmpty() ? Undefined.UNDEFINED : items.getFirst();
            }
            case "last" -> {
                List<Object> items = iterate(in, at);
                yield items.isEmpty() ? Undefined.UNDEFINED : items.getLast();
            }
            case "items" -> {
                if (!(in instanceof Map<?, ?> m)) {
                    throw error(at, "items needs a map, got " + typeName(in));
                }
                List<Object> pairs = new ArrayList<>();
                m.forEach((k, v) -> pairs.add(java.util.Arrays.asList(k, v)));
                yield pairs;
            }
            case "dictsort" -> {
                if (!(in instanceof Map<?, ?> m)) {
                    throw error(at, "dictsort needs a map, got " + typeName(in));
                }
                List<Object> pairs = new ArrayList<>();
                TreeMap<Object, Object> sorted = new TreeMap<>(ORDER);
                sorted.putAll(m);
                sorted.forEach((k, v) -> pairs.add(java.util.Arrays.asList(k, v)));
                yield pairs;
            }
            case "list" -> iterate(in, at);
            case "sort" -> {
                List<Object> items = new ArrayList<>(iterate(in, at));
                items.sort(ORDER);
                yield items;
            }
            case "reverse" -> {
                if (in instanceof String s) {
                    yield new StringBuilder(s).reverse().toString();
                }
                List<Object> items = new ArrayList<>(iterate(in, at));
                java.util.Collections.reverse(items);
                yield items;
            }
            case "string" -> display(in);
            case "int" -> switch (in) {
                case Long l -> l;
                case Double d -> (long) (double) d;
                case String s -> {
                    try {
                        yield Long.parseLong(s.strip());
                    } catch (NumberFormatException e) {
                        throw error(at, "cannot convert '" + s + "' to an integer");
                    }
                }
                default -> throw error(at, "cannot convert " + typeName(in) + " to an integer");
            };
            case "float" -> switch (in) {
                case Number n -> n.doubleValue();
                case String s -> {
                    try {
                        yield Double.parseDouble(s.strip());
                    } catch (NumberFormatException e) {
                        throw error(at, "cannot convert '" + s + "' to a float");
                    }
                }
                default -> throw error(at, "cannot convert " + typeName(in) + " to a float");
            };
            case "abs" -> switch (in) {
                case Long l -> Math.abs(l);
                case Double d -> Math.abs(d);
                default -> throw error(at, "abs needs a number, got " + typeName(in));
            };
            case "round" -> {
                if (!(in instanceof Number n)) {
                    throw error(at, "round needs a number, got " + typeName(in));
                }
                int places = arg0 instanceof Long l ? l.intValue() : 0;
                yield BigDecimal.valueOf(n.doubleValue()).setScale(places, java.math.RoundingMode.HALF_UP).doubleValue();
            }
            case "tojson" -> new Safe(json(in));
            case "escape", "e" -> in instanceof Safe ? in : new Safe(html(display(in)));
            case "safe" -> new Safe(display(in));
            case "select", "reject" -> {
                boolean keep = name.equals("select");
                List<Object> out = new ArrayList<>();
                for (Object item : iterate(in, at)) {
                    boolean pass = arg0 == null ? truthy(item) : test(display(arg0), item, at);
                    if (pass == keep) {
                        out.add(item);
                    }
                }
                yield out;
            }
            case "pluralize" -> {
                long n = switch (in) {
                    case Long l -> l;
                    case Double d -> d == 1.0 ? 1 : 2;
                    case String s -> s.strip().equals("1") ? 1 : 2;
                    case List<?> l -> l.size();
                    case Map<?, ?> m -> m.size();
                    default -> 2;
                };
                String singular = arg0 == null ? "" : display(arg0);
                String plural = args.size() > 1 && args.get(1) != null ? display(args.get(1)) : "s";
                yield n == 1 ? singular : plural;
            }
            case "filesizeformat" -> fileSize(in, Boolean.TRUE.equals(arg0), at);
            case "normalize_smtp_response" -> SmtpResponseNormalizer.normalize(display(in));
            default -> throw error(at, "unknown filter '" + name + "'");
        };
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            sb.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetterOrDigit(c);
        }
        return sb.toString();
    }

    private String fileSize(Object in, boolean binary, int at) {
        if (!(in instanceof Number n)) {
            throw error(at, "filesizeformat needs a number, got " + typeName(in));
        }
        double bytes = n.doubleValue();
        double base = binary ? 1024 : 1000;
        String[] units = binary ? new String[] {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
                : new String[] {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
        if (bytes == 1) {
            return "1 Byte";
        }
        if (Math.abs(bytes) < base) {
            return (long) bytes + " Bytes";
        }
        double value = bytes;
        int unit = -1;
        while (Math.abs(value) >= base && unit < units.length - 1) {
            value /= base;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    // ---- expression parser ----

    private final class ExprParser {
        private final List<String> tokens = new ArrayList<>();
        private final int at;
        private int i;

        ExprParser(String text, int at) {
            this.at = at;
            tokenize(text);
        }

        private void tokenize(String s) {
            int p = 0;
            while (p < s.length()) {
                char c = s.charAt(p);
                if (Character.isWhitespace(c)) {
                    p++;
                } else if (c == '"' || c == '\'') {
                    StringBuilder sb = new StringBuilder("\"");
                    int q = p + 1;
                    while (q < s.length() && s.charAt(q) != c) {
                        char d = s.charAt(q);
                        if (d == '\\' && q + 1 < s.length()) {
                            char e = s.charAt(++q);
                            sb.append(switch (e) {
                                case 'n' -> '\n';
                                case 't' -> '\t';
                                case 'r' -> '\r';
                                default -> e;
                            });
                        } else {
                            sb.append(d);
                        }
                        q++;
                    }
                    if (q >= s.length()) {
                        throw error(at, "syntax error: unterminated string");
                    }
                    tokens.add(sb.toString());
                    p = q + 1;
                } else if (Character.isDigit(c)) {
                    int q = p;
                    while (q < s.length() && (Character.isDigit(s.charAt(q)) || s.charAt(q) == '_'
                            || (s.charAt(q) == '.' && q + 1 < s.length() && Character.isDigit(s.charAt(q + 1))))) {
                        q++;
                    }
                    tokens.add("#" + s.substring(p, q).replace("_", ""));
                    p = q;
                } else if (Character.isLetter(c) || c == '_') {
                    int q = p;
                    while (q < s.length() && (Character.isLetterOrDigit(s.charAt(q)) || s.charAt(q) == '_')) {
                        q++;
                    }
                    tokens.add(s.substring(p, q));
                    p = q;
                } else {
                    String two = p + 1 < s.length() ? s.substring(p, p + 2) : "";
                    if (List.of("==", "!=", "<=", ">=", "//", "**").contains(two)) {
                        tokens.add(two);
                        p += 2;
                    } else if ("<>+-*/%~|.,:()[]{}=".indexOf(c) >= 0) {
                        tokens.add(String.valueOf(c));
                        p++;
                    } else {
                        throw error(at, "syntax error: unexpected character '" + c + "'");
                    }
                }
            }
        }

        Expr parseAll() {
            if (tokens.isEmpty()) {
                throw error(at, "syntax error: empty expression");
            }
            Expr e = conditional();
            if (i < tokens.size()) {
                throw error(at, "syntax error: unexpected '" + show(tokens.get(i)) + "'");
            }
            return e;
        }

        private String show(String token) {
            return token.startsWith("\"") ? token.substring(1) : token.startsWith("#") ? token.substring(1) : token;
        }

        private String peek() {
            return i < tokens.size() ? tokens.get(i) : null;
        }

        private boolean accept(String token) {
            if (token.equals(peek())) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(String token) {
            if (!accept(token)) {
                throw error(at, "syntax error: expected '" + token + "'" + (peek() == null ? " at the end"
                        : ", got '" + show(peek()) + "'"));
            }
        }

        private Expr conditional() {
            Expr e = or();
            if (accept("if")) {
                Expr condition = or();
                Expr otherwise = accept("else") ? conditional() : null;
                return new Cond(e, condition, otherwise);
            }
            return e;
        }

        private Expr or() {
            Expr e = and();
            while (accept("or")) {
                e = new Binary("or", e, and());
            }
            return e;
        }

        private Expr and() {
            Expr e = not();
            while (accept("and")) {
                e = new Binary("and", e, not());
            }
            return e;
        }

        private Expr not() {
            if (accept("not")) {
                return new Unary("not", not());
            }
            return comparison();
        }

        private Expr comparison() {
            Expr e = concat();
            while (true) {
                String t = peek();
                if (t == null) {
                    return e;
                }
                if (List.of("==", "!=", "<", ">", "<=", ">=", "in").contains(t)) {
                    i++;
                    e = new Binary(t, e, concat());
                } else if (t.equals("not") && i + 1 < tokens.size() && tokens.get(i + 1).equals("in")) {
                    i += 2;
                    e = new Binary("not in", e, concat());
                } else if (t.equals("is")) {
                    i++;
                    boolean negated = accept("not");
                    String test = peek();
                    if (test == null || !test.matches("[A-Za-z_]\\w*")) {
                        throw error(at, "syntax error: expected a test name after 'is'");
                    }
                    i++;
                    e = new IsTest(e, test, negated);
                } else {
                    return e;
                }
            }
        }

        private Expr concat() {
            Expr e = additive();
            while (accept("~")) {
                e = new Binary("~", e, additive());
            }
            return e;
        }

        private Expr additive() {
            Expr e = multiplicative();
            while ("+".equals(peek()) || "-".equals(peek())) {
                String op = tokens.get(i++);
                e = new Binary(op, e, multiplicative());
            }
            return e;
        }

        private Expr multiplicative() {
            Expr e = unary();
            while (List.of("*", "/", "//", "%").contains(String.valueOf(peek()))) {
                String op = tokens.get(i++);
                e = new Binary(op, e, unary());
            }
            return e;
        }

        private Expr unary() {
            if (accept("-")) {
                return new Unary("-", unary());
            }
            if (accept("+")) {
                return unary();
            }
            return filtered();
        }

        private Expr filtered() {
            Expr e = postfix();
            while (accept("|")) {
                String f = peek();
                if (f == null || !f.matches("[A-Za-z_]\\w*")) {
                    throw error(at, "syntax error: expected a filter name after '|'");
                }
                i++;
                List<Expr> args = new ArrayList<>();
                if (accept("(")) {
                    if (!accept(")")) {
                        do {
                            args.add(conditional());
                        } while (accept(","));
                        expect(")");
                    }
                }
                e = new Call(e, f, args);
            }
            return e;
        }

        private Expr postfix() {
            Expr e = primary();
            while (true) {
                if (accept(".")) {
                    String name = peek();
                    if (name == null) {
                        throw error(at, "syntax error: expected an attribute name after '.'");
                    }
                    i++;
                    e = name.startsWith("#") ? new Item(e, new Literal(Long.parseLong(name.substring(1))))
                            : new Attr(e, name);
                } else if (accept("[")) {
                    Expr key = conditional();
                    expect("]");
                    e = new Item(e, key);
                } else {
                    return e;
                }
            }
        }

        private Expr primary() {
            String t = peek();
            if (t == null) {
                throw error(at, "syntax error: unexpected end of expression");
            }
            i++;
            if (t.startsWith("\"")) {
                return new Literal(t.substring(1));
            }
            if (t.startsWith("#")) {
                String n = t.substring(1);
                return new Literal(n.contains(".") ? (Object) Double.parseDouble(n) : (Object) Long.parseLong(n));
            }
            switch (t) {
                case "(" -> {
                    Expr e = conditional();
                    expect(")");
                    return e;
                }
                case "[" -> {
                    List<Expr> items = new ArrayList<>();
                    if (!accept("]")) {
                        do {
                            items.add(conditional());
                        } while (accept(","));
                        expect("]");
                    }
                    return new ListLit(items);
                }
                case "{" -> {
                    List<Expr> keys = new ArrayList<>();
                    List<Expr> values = new ArrayList<>();
                    if (!accept("}")) {
                        do {
                            keys.add(conditional());
                            expect(":");
                            values.add(conditional());
                        } while (accept(","));
                        expect("}");
                    }
                    return new MapLit(keys, values);
                }
                case "true", "True" -> {
                    return new Literal(true);
                }
                case "false", "False" -> {
                    return new Literal(false);
                }
                case "none", "None" -> {
                    return new Literal(null);
                }
                default -> {
                    if (!t.matches("[A-Za-z_]\\w*")) {
                        throw error(at, "syntax error: unexpected '" + t + "'");
                    }
                    return new Var(t);
                }
            }
        }
    }
}
