package dev.sluice.policy.kumo.fs;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaObject;
import dev.sluice.policy.kumo.LuaArgs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The file {@code kumo.fs.open(name, [mode])} returns: {@code read([size])}, {@code write(buffer)},
 * {@code seek([whence], [pos])}, {@code flush()}, {@code close()}. Modes as io.open: r, w, a, r+, w+, a+
 * (with or without b); the + modes and w/a create the file. Reads and writes are byte-exact.
 */
final class LuaFile implements LuaObject {
    private final String name;
    private final FileChannel channel;
    private final boolean append;

    private LuaFile(String name, FileChannel channel, boolean append) {
        this.name = name;
        this.channel = channel;
        this.append = append;
    }

    static LuaFile open(String name, String mode) throws IOException {
        String m = mode == null ? "r" : mode.replace("b", "");
        Set<StandardOpenOption> options = EnumSet.noneOf(StandardOpenOption.class);
        switch (m) {
            case "r" -> options.add(StandardOpenOption.READ);
            case "w" -> options.addAll(List.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING));
            case "a" -> options.addAll(List.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE));
            case "r+" -> options.addAll(List.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE));
            case "w+" -> options.addAll(List.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING));
            case "a+" -> options.addAll(List.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE));
            default -> throw new ConfigException("kumo.fs.open: invalid mode '" + mode + "'; expected r, w, a, r+, w+ or a+");
        }
        try {
            return new LuaFile(name, FileChannel.open(Path.of(name), options), m.startsWith("a"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("kumo.fs.open: " + name + ": no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException("kumo.fs.open: " + name + ": permission denied");
        }
    }

    @Override
    public String typeName() {
        return "AsyncFile";
    }

    @Override
    public String display() {
        return "AsyncFile(" + name + ")";
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "read" -> LuaObject.method(this, a -> read(a.isEmpty() || a.getFirst() == null ? -1 : LuaArgs.integer(a, 0, "file:read")));
            case "write" -> LuaObject.method(this, a -> {
                byte[] data = LuaArgs.bytes(a, 0, "file:write");
                if (append) {
                    channel.position(channel.size());
                }
                ByteBuffer buffer = ByteBuffer.wrap(data);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                return null;
            });
            case "seek" -> LuaObject.method(this, a -> seek(a.isEmpty() || a.getFirst() == null ? "cur" : LuaArgs.string(a, 0, "file:seek"),
                    a.size() > 1 && a.get(1) != null ? LuaArgs.integer(a, 1, "file:seek") : 0));
            case "flush" -> LuaObject.method(this, a -> {
                channel.force(false);
                return null;
            });
            case "close" -> LuaObject.method(this, a -> {
                channel.close();
                return null;
            });
            default -> null;
        };
    }

    private Object read(long size) throws IOException {
        long want = size < 0 ? Math.max(0, channel.size() - channel.position()) : size;
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(want, Integer.MAX_VALUE - 8));
        while (buffer.hasRemaining() && channel.read(buffer) > 0) {
            if (size >= 0) {
                break; // like KumoMTA: a sized read may return less
            }
        }
        byte[] bytes = new byte[buffer.position()];
        buffer.flip().get(bytes);
        return LuaArgs.luaString(bytes);
    }

    private long seek(String whence, long offset) throws IOException {
        long base = switch (whence) {
            case "set" -> 0;
            case "cur" -> channel.position();
            case "end" -> channel.size();
            default -> throw new ConfigException("file:seek: whence must be 'set', 'cur' or 'end', got '" + whence + "'");
        };
        long target = base + offset;
        if (target < 0) {
            throw new ConfigException("file:seek: position " + target + " is before the start of the file");
        }
        channel.position(target);
        return target;
    }
}
