package dev.sluice.mta.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.testkit.Tool;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Parses a message with Python's standard {@code email} package (an independent MIME implementation) and
 * returns its view as JSON: top-level headers decoded, defects, and every leaf part with its type, disposition,
 * file name, Content-ID and decoded payload (text as text, binary as hex).
 */
final class PythonEmail {
    private static final String SCRIPT = """
            import sys, json, email
            from email import policy
            msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
            def defects(m):
                out = [type(d).__name__ for d in m.defects]
                for h, v in m.items():
                    out += [h + ':' + type(d).__name__ for d in getattr(v, 'defects', [])]
                return out
            parts = []
            all_defects = defects(msg)
            structure = []
            for p in msg.walk():
                structure.append(p.get_content_type())
                all_defects += defects(p)
                if p.is_multipart():
                    continue
                payload = p.get_payload(decode=True)
                entry = {'type': p.get_content_type(), 'disposition': p.get_content_disposition(),
                         'filename': p.get_filename(), 'content_id': p.get('Content-ID'),
                         'cte': p.get('Content-Transfer-Encoding')}
                if p.get_content_maintype() == 'text':
                    entry['text'] = p.get_content()
                else:
                    entry['hex'] = payload.hex()
                parts.append(entry)
            headers = {k: str(v) for k, v in msg.items()}
            print(json.dumps({'headers': headers, 'structure': structure, 'parts': parts, 'defects': all_defects}))
            """;

    private PythonEmail() {}

    static JsonNode parse(byte[] message, Path dir) throws IOException {
        Path script = dir.resolve("parse_email.py");
        Files.writeString(script, SCRIPT);
        Path file = Files.createTempFile(dir, "message", ".eml");
        Files.write(file, message);
        ToolResult r = Tool.run(null, List.of("/usr/bin/python3", script.toString(), file.toString()), Map.of(),
                Duration.ofMinutes(1));
        if (!r.ok()) {
            throw new AssertionError("python email parse failed: " + r.describe());
        }
        return new ObjectMapper().readTree(r.stdout());
    }
}
