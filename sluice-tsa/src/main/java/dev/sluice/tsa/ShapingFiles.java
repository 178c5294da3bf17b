package dev.sluice.tsa;

import dev.sluice.egress.shaping.Shaping;
import dev.sluice.egress.shaping.ShapingModule;
import dev.sluice.policy.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shaping data of the {@code --shaping} files, loaded at start and again when a file's modification time
 * changes; a reload that fails is logged and the previous data stays in use.
 */
final class ShapingFiles implements Supplier<Shaping> {
    private static final Logger log = LoggerFactory.getLogger(ShapingFiles.class);

    private final List<Path> files;
    private final ShapingModule loader;
    private List<FileTime> stamps;
    private Shaping current;

    private ShapingFiles(List<Path> files, ShapingModule loader) {
        this.files = List.copyOf(files);
        this.loader = loader;
    }

    /**
     * Loads the files.
     *
     * @throws ConfigException naming the file and the reason when they do not load
     */
    static ShapingFiles load(List<Path> files, ShapingModule loader) {
        ShapingFiles out = new ShapingFiles(files, loader);
        out.stamps = out.stamps();
        out.current = out.read();
        return out;
    }

    private Shaping read() {
        Shaping shaping = loader.load(files.stream().map(Path::toString).toList(), null);
        if (!shaping.errors().isEmpty()) {
            throw new ConfigException("shaping: " + String.join("; ", shaping.errors()));
        }
        shaping.warnings().forEach(w -> log.warn("shaping: {}", w));
        return shaping;
    }

    private List<FileTime> stamps() {
        List<FileTime> out = new ArrayList<>();
        for (Path f : files) {
            try {
                out.add(Files.getLastModifiedTime(f));
            } catch (IOException e) {
                out.add(FileTime.fromMillis(-1));
            }
        }
        return out;
    }

    @Override
    public synchronized Shaping get() {
        List<FileTime> now = stamps();
        if (!now.equals(stamps)) {
            stamps = now;
            try {
                current = read();
                log.info("shaping files reloaded ({})", current.hash().substring(0, 12));
            } catch (RuntimeException e) {
                log.error("shaping files changed but do not load, keeping the previous rules: {}", e.getMessage());
            }
        }
        return current;
    }
}
