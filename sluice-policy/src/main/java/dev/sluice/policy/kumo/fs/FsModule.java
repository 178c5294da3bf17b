package dev.sluice.policy.kumo.fs;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaFunction;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import dev.sluice.policy.kumo.time.LuaTime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * {@code kumo.fs.glob(pattern, [relative_to], [ttl_seconds = 60])} (cached per pattern and
 * relative_to, process-wide), {@code kumo.fs.uncached_glob}, {@code kumo.fs.read_dir(path)},
 * {@code kumo.fs.metadata_for_path(path)}, {@code kumo.fs.symlink_metadata_for_path(path)}, and the
 * deprecated {@code kumo.glob}, {@code kumo.uncached_glob}, {@code kumo.read_dir}; {@code kumo.fs.open}
 * ({@link LuaFile}; blocking I/O on the borrowing thread, as Lua's io.open).
 */
public final class FsModule implements LuaModule {
    private record Cached(List<String> paths, long expiresAt) {}

    private final Map<List<String>, Cached> globCache = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    public FsModule() {
        this(System::nanoTime);
    }

    FsModule(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public void install(Registrar r) {
        LuaFunction glob = args -> cachedGlob(LuaArgs.string(args, 0, "kumo.fs.glob"), LuaArgs.optString(args, 1, "kumo.fs.glob"),
                args.size() > 2 && args.get(2) != null ? LuaArgs.integer(args, 2, "kumo.fs.glob") : 60);
        LuaFunction uncached = args -> Glob.expand(LuaArgs.string(args, 0, "kumo.fs.uncached_glob"),
                LuaArgs.optString(args, 1, "kumo.fs.uncached_glob"));
        LuaFunction readDir = args -> readDir(LuaArgs.string(args, 0, "kumo.fs.read_dir"));
        r.function("kumo.fs", "glob", glob);
        r.function("kumo.fs", "uncached_glob", uncached);
        r.function("kumo.fs", "read_dir", readDir);
        r.function("kumo.fs", "metadata_for_path", args -> metadata(LuaArgs.string(args, 0, "kumo.fs.metadata_for_path"), true));
        r.function("kumo.fs", "symlink_metadata_for_path",
                args -> metadata(LuaArgs.string(args, 0, "kumo.fs.symlink_metadata_for_path"), false));
        r.function("kumo.fs", "open", args -> LuaFile.open(LuaArgs.string(args, 0, "kumo.fs.open"), LuaArgs.optString(args, 1, "kumo.fs.open")));
        r.kumoFunction("glob", glob);
        r.kumoFunction("uncached_glob", uncached);
        r.kumoFunction("read_dir", readDir);
    }

    private List<String> cachedGlob(String pattern, String relativeTo, long ttlSeconds) throws IOException {
        List<String> key = java.util.Arrays.asList(pattern, relativeTo);
        long now = clock.getAsLong();
        Cached hit = globCache.get(key);
        if (hit != null && now - hit.expiresAt() < 0) {
            return hit.paths();
        }
        List<String> paths = List.copyOf(Glob.expand(pattern, relativeTo));
        globCache.put(key, new Cached(paths, now + Math.max(0, ttlSeconds) * 1_000_000_000L));
        return paths;
    }

    private static List<String> readDir(String dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> list = Files.list(Path.of(dir))) {
            list.forEach(p -> names.add(p.toString()));
        } catch (NoSuchFileException e) {
            throw new ConfigException("kumo.fs.read_dir: no such directory: " + dir);
        }
        names.sort(null);
        return names;
    }

    private static Map<String, Object> metadata(String path, boolean follow) throws IOException {
        Path p = Path.of(path);
        LinkOption[] options = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
        BasicFileAttributes basic;
        try {
            basic = Files.readAttributes(p, BasicFileAttributes.class, options);
        } catch (NoSuchFileException e) {
            throw new ConfigException("No such file or directory: " + path);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path);
        m.put("is_file", basic.isRegularFile());
        m.put("is_dir", basic.isDirectory());
        m.put("is_symlink", basic.isSymbolicLink());
        m.put("len", basic.size());
        m.put("readonly", !Files.isWritable(p));
        m.put("size", basic.size());
        m.put("mtime", time(basic.lastModifiedTime()));
        m.put("atime", time(basic.lastAccessTime()));
        m.put("ctime", time(basic.creationTime()));
        try {
            Map<String, Object> unix = Files.readAttributes(p, "unix:dev,ino,mode,nlink,uid,gid,rdev", options);
            unix.forEach((k, v) -> m.put(k, v instanceof Number n ? (Object) n.longValue() : v));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // not a unix file system: those fields stay nil, as documented
        }
        return m;
    }

    private static LuaTime time(FileTime t) {
        return new LuaTime(t.toInstant());
    }
}
